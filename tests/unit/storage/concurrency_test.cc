// Smoke test of the thread-safety contract: several threads writing, replacing, reading and
// listing at once. Run it under -DLOGBUCKET_SANITIZE=ON (or TSan) to make it bite harder.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/unit/storage/store_fixture.h"

namespace logbucket::storage::testing {
namespace {

TEST_F(FileStoreTest, ConcurrentWritersReadersAndListers) {
  MakeBucket("b");
  constexpr int kWriters = 4;
  constexpr int kObjectsPerWriter = 60;
  std::atomic<int> failures{0};
  std::atomic<bool> writers_done{false};

  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kObjectsPerWriter; ++i) {
        const std::string key = "w" + std::to_string(w) + "/" + std::to_string(1000 + i);
        if (!Put("b", key, key)) {
          ++failures;
        }
        // Every writer also replaces one shared key with a body that names it.
        if (!Put("b", "shared", std::string(100 + w, static_cast<char>('a' + w)))) {
          ++failures;
        }
      }
    });
  }
  threads.emplace_back([&] {
    while (!writers_done) {
      auto page = store_->ListObjects("b", "w", "", 1000);
      if (!page) {
        ++failures;
      }
      auto reader = store_->OpenObject("b", "shared");
      if (!reader) {
        continue;  // not written yet
      }
      const std::string body = ReadAll(*reader);
      // Whatever version was opened must be whole: one writer's letter, its length.
      const bool whole = !body.empty() && body.size() == 100u + (body[0] - 'a') &&
                         body.find_first_not_of(body[0]) == std::string::npos;
      if (!whole || body.size() != reader->record().size) {
        ++failures;
      }
    }
  });
  for (int w = 0; w < kWriters; ++w) {
    threads[w].join();
  }
  writers_done = true;
  threads.back().join();

  EXPECT_EQ(failures.load(), 0);
  auto page = store_->ListObjects("b", "w", "", 10000);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->objects.size(), static_cast<size_t>(kWriters * kObjectsPerWriter));
  EXPECT_EQ(CountFiles("objects"), static_cast<size_t>(kWriters * kObjectsPerWriter + 1))
      << "every replaced version of the shared key was unlinked";
  EXPECT_EQ(CountFiles("tmp"), 0u);
}

TEST_F(FileStoreTest, ConcurrentIfNoneMatchHasExactlyOneWinner) {
  MakeBucket("b");
  constexpr int kThreads = 8;
  std::atomic<int> won{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto put = Put("b", "once", "writer " + std::to_string(t), IfNoneMatch());
      if (put) {
        ++won;
      } else if (put.error().code == ErrorCode::kConditionFailed) {
        ++refused;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(refused.load(), kThreads - 1);
  EXPECT_EQ(CountFiles("objects"), 1u);
}

}  // namespace
}  // namespace logbucket::storage::testing

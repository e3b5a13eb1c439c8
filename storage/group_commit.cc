#include "storage/group_commit.h"

#include <exception>
#include <string>

namespace logbucket::storage {

std::expected<void, Error> GroupCommit::Run(std::mutex& db_mu, Database& db, BodyRef body) {
  Job job{body, {}, false};
  std::unique_lock lock(mu_);
  queue_.push_back(&job);
  while (!job.done) {
    if (leading_) {
      finished_.wait(lock);
      continue;
    }
    // Lead: take what is queued (this job among it, or a later batch that it is not in yet).
    leading_ = true;
    std::vector<Job*> batch;
    if (queue_.size() <= kMaxBatch) {
      batch.swap(queue_);
    } else {
      batch.assign(queue_.begin(), queue_.begin() + kMaxBatch);
      queue_.erase(queue_.begin(), queue_.begin() + kMaxBatch);
    }
    lock.unlock();
    try {
      std::lock_guard db_lock(db_mu);
      RunBatch(db, batch);
    } catch (const std::exception& e) {
      // (An allocation failure.) The transaction rolled back with the stack; every caller of
      // the batch must hear of it, and leadership must pass on.
      for (Job* failed : batch) {
        failed->result = std::unexpected(
            Error{ErrorCode::kInternal, std::string("write transaction failed: ") + e.what()});
      }
    }
    lock.lock();
    leading_ = false;
    ++stats_.transactions;
    stats_.bodies += batch.size();
    for (Job* done : batch) {
      done->done = true;
    }
    finished_.notify_all();
  }
  return std::move(job.result);
}

void GroupCommit::RunBatch(Database& db, const std::vector<Job*>& batch) {
  auto fail_all = [&](const Error& error) {
    for (Job* job : batch) {
      if (job->result) {
        job->result = std::unexpected(error);
      }
    }
  };
  auto tx = Transaction::Begin(db);
  if (!tx) {
    fail_all(tx.error());
    return;
  }
  if (batch.size() == 1) {
    Job& job = *batch.front();
    job.result = job.body(db);
    if (job.result) {
      if (auto committed = tx->Commit(); !committed) {
        job.result = std::unexpected(std::move(committed.error()));
      }
    }
    return;  // a failed body: the transaction rolls back on destruction
  }
  bool any_kept = false;
  for (Job* job : batch) {
    auto scope = Savepoint::Begin(db);
    if (!scope) {
      job->result = std::unexpected(std::move(scope.error()));
      continue;
    }
    job->result = job->body(db);
    if (!job->result) {
      // Undo this body alone; the others stand. If even that fails, nothing of the batch may
      // commit: the transaction rolls back as a whole.
      if (auto undone = scope->Rollback(); !undone) {
        fail_all(undone.error());
        return;
      }
      continue;
    }
    if (auto released = scope->Release(); !released) {
      job->result = std::unexpected(std::move(released.error()));
      continue;
    }
    any_kept = true;
  }
  if (!any_kept) {
    return;  // nothing to commit: roll the empty transaction back
  }
  if (auto committed = tx->Commit(); !committed) {
    fail_all(committed.error());
  }
}

GroupCommit::Stats GroupCommit::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

size_t GroupCommit::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace logbucket::storage

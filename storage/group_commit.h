// Internal to storage: group commit. Writers that arrive while a write transaction is running
// queue their work; the next writer to find no transaction running leads: it takes the store's
// mutex and runs every queued body (up to kMaxBatch) in ONE transaction, each body inside its
// own savepoint, so a body that fails (a failed condition, a constraint, a full disk) is rolled
// back alone while the others commit. One COMMIT then covers the whole batch: its WAL frames are
// written once per touched page instead of once per write, which is most of what a small PUT
// costs. Every caller returns only after the COMMIT that holds its changes (or with the error
// that undid them), so acknowledging after Run() is as durable as before.
//
// With one writer at a time a batch is that one body and the transaction is exactly the single
// BEGIN IMMEDIATE ... COMMIT it would otherwise run (no savepoint).
//
// Bodies run with the store mutex held, on the leader's thread; they may use the connection as
// any code under the mutex does, but must not take the mutex themselves. What a body changes
// outside the database must tolerate a rollback (the versions clock only ever advances; the
// bucket cache follows write generations, which advance on rollback too).
//
// Thread-safety: Run() may be called from any number of threads.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <expected>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

#include "storage/error.h"
#include "storage/sqlite_db.h"

namespace logbucket::storage {

class GroupCommit {
 public:
  static constexpr size_t kMaxBatch = 64;

  // A non-owning reference to the caller's body; the body outlives Run().
  class BodyRef {
   public:
    template <typename F>
      requires std::is_invocable_r_v<std::expected<void, Error>, F&, Database&>
    BodyRef(F& body)  // NOLINT(google-explicit-constructor): a parameter adapter
        : object_(&body), call_([](void* object, Database& db) -> std::expected<void, Error> {
            return (*static_cast<F*>(object))(db);
          }) {}
    std::expected<void, Error> operator()(Database& db) const { return call_(object_, db); }

   private:
    void* object_;
    std::expected<void, Error> (*call_)(void*, Database&);
  };

  // Runs `body` inside a write transaction on `db` (guarded by `db_mu`), possibly together with
  // other callers' bodies, and returns once that transaction has committed: the body's own
  // error, the transaction's error, or success.
  std::expected<void, Error> Run(std::mutex& db_mu, Database& db, BodyRef body);

  // Transactions run and bodies committed so far (for tests and diagnostics).
  struct Stats {
    uint64_t transactions = 0;
    uint64_t bodies = 0;
  };
  Stats stats() const;
  // Bodies waiting for the next transaction (for tests).
  size_t queued() const;

 private:
  struct Job {
    BodyRef body;
    std::expected<void, Error> result;
    bool done = false;
  };

  static void RunBatch(Database& db, const std::vector<Job*>& batch);

  mutable std::mutex mu_;  // guards queue_, leading_, stats_ and every queued Job
  std::condition_variable finished_;
  std::vector<Job*> queue_;
  bool leading_ = false;
  Stats stats_;
};

}  // namespace logbucket::storage

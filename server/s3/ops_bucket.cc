// Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
// GetBucketVersioning, PutBucketVersioning.
#include <chrono>

#include "server/s3/operation.h"
#include "server/s3/xml/bucket_xml.h"
#include "server/s3/xml/versioning_xml.h"

namespace logbucket::s3 {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

xml::Owner OwnerOf(const Account& account) { return {account.canonical_id, account.display_name}; }

}  // namespace

OpResult ListBuckets(OpContext& c) {
  auto buckets = c.state.store.ListBuckets();
  if (!buckets) return std::unexpected(FromStorage(buckets.error()));
  std::string prefix(c.Query("prefix").value_or(""));
  std::vector<xml::BucketEntry> entries;
  for (const auto& b : *buckets) {
    if (b.owner_account_id != c.auth.account->id || !b.name.starts_with(prefix)) continue;
    entries.push_back({b.name, b.created_ms, b.region});
  }
  return XmlResponse(200, xml::RenderListAllMyBuckets(OwnerOf(*c.auth.account), entries));
}

OpResult CreateBucket(OpContext& c) {
  const std::string& name = c.target.bucket;
  if (!ValidBucketName(name)) {
    return std::unexpected(S3Error(ErrorCode::kInvalidBucketName).With("BucketName", name));
  }
  std::string region = c.state.options.region;
  if (!c.body->buffer.empty()) {
    auto config = xml::ParseCreateBucketConfiguration(c.body->buffer);
    if (!config) return std::unexpected(config.error());
    // Like the global endpoint, any region may be named; "us-east-1" is the one S3 refuses
    // (it is expressed by sending no constraint).
    if (config->location_constraint == "us-east-1") {
      return std::unexpected(S3Error(ErrorCode::kInvalidLocationConstraint,
                                     "The specified location-constraint is not valid")
                                 .With("LocationConstraint", "us-east-1"));
    }
    if (!config->location_constraint.empty()) {
      if (!ValidRegionName(config->location_constraint)) {
        return std::unexpected(S3Error(ErrorCode::kInvalidLocationConstraint,
                                       "The specified location-constraint is not valid")
                                   .With("LocationConstraint", config->location_constraint));
      }
      region = config->location_constraint;
    }
  }
  if (c.bucket) {
    if (c.bucket->owner_account_id != c.auth.account->id) {
      return std::unexpected(S3Error(ErrorCode::kBucketAlreadyExists).With("BucketName", name));
    }
    // S3 keeps a legacy 200 for re-creating your own bucket in us-east-1 only.
    if (region != "us-east-1") {
      return std::unexpected(
          S3Error(ErrorCode::kBucketAlreadyOwnedByYou).With("BucketName", name));
    }
    Response r = EmptyResponse(200);
    r.headers.Set("Location", "/" + name);
    return r;
  }
  storage::BucketRecord record{name, c.auth.account->id, region, NowMs(), ""};
  if (auto ok = c.state.store.CreateBucket(record); !ok) {
    if (ok.error().code == storage::ErrorCode::kBucketExists) {
      // Lost a race with another CreateBucket of the same name.
      auto existing = c.state.store.GetBucket(name);
      if (existing && existing->owner_account_id == c.auth.account->id) {
        return std::unexpected(
            S3Error(ErrorCode::kBucketAlreadyOwnedByYou).With("BucketName", name));
      }
      return std::unexpected(S3Error(ErrorCode::kBucketAlreadyExists).With("BucketName", name));
    }
    return std::unexpected(FromStorage(ok.error()));
  }
  // New buckets have ACLs disabled (BucketOwnerEnforced) unless the request says otherwise.
  std::string ownership_name = "BucketOwnerEnforced";
  if (auto ownership = c.Header("x-amz-object-ownership")) {
    auto parsed = xml::ParseObjectOwnershipName(*ownership);
    if (!parsed) {
      (void)c.state.store.DeleteBucket(name);
      return std::unexpected(S3Error(ErrorCode::kInvalidArgument,
                                     "Invalid x-amz-object-ownership header: " +
                                         std::string(*ownership))
                                 .With("ArgumentName", "x-amz-object-ownership"));
    }
    ownership_name = std::string(xml::ObjectOwnershipName(*parsed));
  }
  if (auto ok = c.state.store.PutBucketSetting(name, "ownership", ownership_name); !ok) {
    (void)c.state.store.DeleteBucket(name);
    return std::unexpected(FromStorage(ok.error()));
  }
  c.bucket = record;
  Response r = EmptyResponse(200);
  r.headers.Set("Location", "/" + name);
  return r;
}

OpResult HeadBucket(OpContext& c) {
  Response r = EmptyResponse(200);
  r.headers.Set("x-amz-bucket-region", c.bucket->region);
  r.headers.Set("x-amz-access-point-alias", "false");
  return r;
}

OpResult DeleteBucket(OpContext& c) {
  // Under the logging configuration lock, so a PutBucketLogging racing with the delete cannot
  // leave a configuration behind for a bucket that no longer exists.
  std::lock_guard lock(c.state.logging_config_mutex);
  auto ok = c.state.store.DeleteBucket(c.bucket->name);
  if (!ok) {
    S3Error e = FromStorage(ok.error());
    if (e.code == ErrorCode::kBucketNotEmpty) e.With("BucketName", c.bucket->name);
    return std::unexpected(e);
  }
  // The bucket's logging configuration goes with it; records already spooled are delivered, and
  // so is this request's own record.
  c.log.registration_changed = true;
  if (auto config = c.state.access_log.GetConfiguration(c.bucket->name)) {
    c.log.logged_as = logging::LoggingRegistration{
        {c.bucket->owner_account_id, c.bucket->region}, std::move(*config)};
  }
  c.state.access_log.SetConfiguration(c.bucket->name, {}, std::nullopt);
  return EmptyResponse(204);
}

OpResult GetBucketLocation(OpContext& c) {
  return XmlResponse(200, xml::RenderLocationConstraint(c.bucket->region));
}

// MFA delete cannot be emulated (there is no MFA device to check a code against): MfaDelete
// Disabled is accepted and shown; Enabled is refused as S3 refuses it without x-amz-mfa, and with
// NotImplemented when the header is there.
constexpr std::string_view kMfaDeleteSetting = "versioning-mfa-delete";

OpResult GetBucketVersioning(OpContext& c) {
  xml::VersioningConfiguration state;
  if (c.bucket->versioning == "Enabled") state.status = xml::VersioningStatus::kEnabled;
  if (c.bucket->versioning == "Suspended") state.status = xml::VersioningStatus::kSuspended;
  auto mfa = c.state.store.GetBucketSetting(c.bucket->name, kMfaDeleteSetting);
  if (!mfa) return std::unexpected(FromStorage(mfa.error()));
  if (*mfa) state.mfa_delete = xml::MfaDeleteStatus::kDisabled;
  return XmlResponse(200, xml::RenderVersioningConfiguration(state));
}

OpResult PutBucketVersioning(OpContext& c) {
  auto request = xml::ParseVersioningConfiguration(c.body->buffer);
  if (!request) return std::unexpected(request.error());
  if (request->mfa_delete == xml::MfaDeleteStatus::kEnabled) {
    if (!c.Header("x-amz-mfa")) {
      return std::unexpected(
          S3Error(ErrorCode::kAccessDenied, "Mfa Authentication must be used for this request"));
    }
    return std::unexpected(S3Error(ErrorCode::kNotImplemented,
                                   "Logbucket cannot verify MFA codes: MFA delete is not "
                                   "supported")
                               .With("Header", "x-amz-mfa"));
  }
  if (request->mfa_delete == xml::MfaDeleteStatus::kDisabled) {
    if (auto ok = c.state.store.PutBucketSetting(c.bucket->name, kMfaDeleteSetting, "Disabled");
        !ok) {
      return std::unexpected(FromStorage(ok.error()));
    }
  }
  if (request->status) {
    auto state = *request->status == xml::VersioningStatus::kEnabled
                     ? storage::Versioning::kEnabled
                     : storage::Versioning::kSuspended;
    if (auto ok = c.state.store.SetBucketVersioning(c.bucket->name, state); !ok) {
      return std::unexpected(FromStorage(ok.error()));
    }
  }
  return EmptyResponse(200);
}

}  // namespace logbucket::s3

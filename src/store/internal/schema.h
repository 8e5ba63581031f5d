// Schema and migrations of the SQLite store. The schema version is PRAGMA user_version; each
// migration runs in its own transaction together with the version bump.
#pragma once

#include "core/status.h"
#include "store/internal/sqlite_util.h"

namespace tracery::store::internal {

// The newest schema version this binary knows.
int LatestSchemaVersion();

// Applies every pending migration. kFailedPrecondition when the database was written by a newer
// binary (its version is above LatestSchemaVersion()); kDataLoss when the file is not a database.
Status Migrate(Db& db);

}  // namespace tracery::store::internal

// The write-ahead log: the wal layer's door. See log_format.h for the
// format, log_writer.h for appending with group commit, log_reader.h for
// reading back at recovery.
#ifndef LAURA_WAL_LOG_H_
#define LAURA_WAL_LOG_H_

#include "wal/log_format.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"

#endif  // LAURA_WAL_LOG_H_

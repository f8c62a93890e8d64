// laura::Version and laura::FormatVersion (laura/version.h.in).
#include "laura/version.h"

#include "storage/pager.h"  // kFormatVersion (storage/meta.h)

namespace laura {

const char* Version() { return LAURA_VERSION_STRING; }
unsigned FormatVersion() { return kFormatVersion; }

}  // namespace laura

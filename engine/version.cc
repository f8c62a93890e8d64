// laura::Version (engine/version.h.in).
#include "engine/version.h"

namespace laura {

const char* Version() { return LAURA_VERSION_STRING; }

}  // namespace laura

// Parameters for test suites that run against both disk managers.
#ifndef LAURA_TESTS_SUPPORT_MANAGER_PARAMS_H_
#define LAURA_TESTS_SUPPORT_MANAGER_PARAMS_H_

#include <string>

#include "gtest/gtest.h"
#include "storage/disk_manager.h"

namespace laura {

// Both managers, for INSTANTIATE_TEST_SUITE_P.
inline auto BothManagers() {
  return ::testing::Values(DiskManagerKind::kPread, DiskManagerKind::kMmap);
}

// Names instances "pread" and "mmap".
struct ManagerName {
  std::string operator()(
      const ::testing::TestParamInfo<DiskManagerKind>& info) const {
    return DiskManagerKindName(info.param);
  }
};

}  // namespace laura

#endif  // LAURA_TESTS_SUPPORT_MANAGER_PARAMS_H_

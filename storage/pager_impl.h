// Internal to storage/: the two Pager implementations' constructors.
#ifndef LAURA_STORAGE_PAGER_IMPL_H_
#define LAURA_STORAGE_PAGER_IMPL_H_

#include <memory>

#include "storage/pager.h"

namespace laura {

std::unique_ptr<Pager> NewMmapPager(DiskManager* dm, const PagerOptions& options);
std::unique_ptr<Pager> NewPoolPager(DiskManager* dm, const PagerOptions& options);

}  // namespace laura

#endif  // LAURA_STORAGE_PAGER_IMPL_H_

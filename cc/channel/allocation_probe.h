// Test-only: records the largest single heap allocation in the process.
//
//   ipckit::testing::ResetLargestAllocation();
//   decoder.Feed(header_announcing_4_gib);
//   EXPECT_LT(ipckit::testing::LargestAllocation(), size_t{1} << 20);
//
// Linking this library replaces the global operator new, so a test can prove
// that an announced length is checked before a buffer of that size is asked for.
#ifndef IPCKIT_CC_CHANNEL_ALLOCATION_PROBE_H_
#define IPCKIT_CC_CHANNEL_ALLOCATION_PROBE_H_

#include <cstddef>

namespace ipckit::testing {

void ResetLargestAllocation();
size_t LargestAllocation();

}  // namespace ipckit::testing

#endif  // IPCKIT_CC_CHANNEL_ALLOCATION_PROBE_H_

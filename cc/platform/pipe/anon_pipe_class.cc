// AnonPipeEnd's members that only move its state, the same on every OS.
#include <memory>
#include <utility>

#include "cc/platform/pipe/anon_pipe.h"
#include "cc/platform/pipe/internal/anon_pipe_state.h"

namespace ipckit {
namespace platform {

AnonPipeEnd::AnonPipeEnd() = default;
AnonPipeEnd::AnonPipeEnd(std::unique_ptr<State> state) : state_(std::move(state)) {}
AnonPipeEnd::AnonPipeEnd(AnonPipeEnd&& other) noexcept = default;
AnonPipeEnd& AnonPipeEnd::operator=(AnonPipeEnd&& other) noexcept = default;
AnonPipeEnd::~AnonPipeEnd() = default;
void AnonPipeEnd::reset() { state_.reset(); }

}  // namespace platform
}  // namespace ipckit

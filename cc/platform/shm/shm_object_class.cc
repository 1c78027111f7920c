// ShmObject's members, the same on every OS: they only move the state
// (internal/shm_object_state.h), whose destructor closes what the OS holds.
#include <memory>
#include <utility>

#include "cc/platform/shm/internal/shm_object_state.h"
#include "cc/platform/shm/shm_object.h"

namespace ipckit {
namespace platform {

ShmObject::ShmObject() = default;
ShmObject::ShmObject(std::unique_ptr<internal::ShmObjectState> state) : state_(std::move(state)) {}
ShmObject::ShmObject(ShmObject&& other) noexcept = default;
ShmObject& ShmObject::operator=(ShmObject&& other) noexcept = default;
ShmObject::~ShmObject() = default;

}  // namespace platform
}  // namespace ipckit

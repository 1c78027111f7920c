#include "cc/cli/internal/registry.h"

#include <algorithm>

namespace ipckit::cli {
namespace {

// Function-local statics: registrars run during static initialization, in
// link order.
std::vector<Command>& CommandList() {
  static auto* commands = new std::vector<Command>();
  return *commands;
}

std::vector<DemoMethod>& MethodList() {
  static auto* methods = new std::vector<DemoMethod>();
  return *methods;
}

}  // namespace

CommandRegistrar::CommandRegistrar(Command command) { CommandList().push_back(command); }

DemoMethodRegistrar::DemoMethodRegistrar(DemoMethod method) { MethodList().push_back(method); }

std::vector<Command> Commands() { return CommandList(); }

std::vector<DemoMethod> DemoMethods() {
  std::vector<DemoMethod> methods = MethodList();
  std::sort(methods.begin(), methods.end(),
            [](const DemoMethod& a, const DemoMethod& b) { return a.order < b.order; });
  return methods;
}

}  // namespace ipckit::cli

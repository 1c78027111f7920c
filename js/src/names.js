// Names of shared objects (spec/naming.md), checked by the C++ core.
//
//   socketPathFor('jobs');        // '/tmp/jobs.sock'
//   socketPathFor('/run/x.sock'); // '/run/x.sock'
import { core } from './core.js';
import { check, unwrap, InvalidArgumentError } from './errors.js';

function asString(name) {
  if (typeof name !== 'string') throw new InvalidArgumentError(`name must be a string, not ${typeof name}`);
  return name;
}

// Throws InvalidArgumentError unless `name` is a valid plain name.
export function validateName(name) {
  check(core().validateName(asString(name)));
}

// The Unix-domain socket path of an IpcChannel/NamedPipe name.
export function socketPathFor(name) {
  return unwrap(core().socketPathFor(asString(name)));
}

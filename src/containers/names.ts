import { BadRequestError } from '../core/errors.js';

/**
 * Names that become path components under the container area. They are checked against a
 * closed alphabet (no `/`, no leading `.`), so `..`, hidden files and separators can never be
 * formed; the store still checks that every resolved path stays inside its root.
 */
const PROJECT = /^[A-Za-z0-9_-]{1,64}$/;
const CONTAINER = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
const OBJECT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/;

export function checkProject(project: string | null): string {
  if (project === null || !PROJECT.test(project)) {
    throw new BadRequestError(
      `Project '${String(project)}' cannot own containers: a project id must be 1-64 characters of A-Z a-z 0-9 _ -.`,
      { reason: 'bad_project' },
    );
  }
  return project;
}

export function checkContainerName(name: string): string {
  if (!CONTAINER.test(name)) {
    throw new BadRequestError(
      `Invalid container name '${name}': use 1-128 characters of A-Z a-z 0-9 . _ -, not starting with '.'.`,
      { reason: 'bad_container_name' },
    );
  }
  return name;
}

export function checkObjectName(name: string): string {
  if (!OBJECT.test(name)) {
    throw new BadRequestError(
      `Invalid object name '${name}': use 1-255 characters of A-Z a-z 0-9 . _ -, not starting with '.' (no '/').`,
      { reason: 'bad_object_name' },
    );
  }
  return name;
}

/** `container/object` (the Rackspace `import_from` form) split and checked. */
export function parseObjectRef(ref: string): { container: string; object: string } {
  const at = ref.indexOf('/');
  if (at <= 0 || at === ref.length - 1) {
    throw new BadRequestError(`'${ref}' is not of the form <container>/<object>.`, { reason: 'bad_object_ref' });
  }
  return { container: checkContainerName(ref.slice(0, at)), object: checkObjectName(ref.slice(at + 1)) };
}

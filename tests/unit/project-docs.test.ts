import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const docs = ['README.md', 'SECURITY.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
const read = (file: string) => readFileSync(join(root, file), 'utf8');

describe('the project documentation', () => {
  it.each(docs)('%s is self-contained: no reference to a design document outside the repository', (file) => {
    expect(read(file)).not.toMatch(/\bDESIGN\b/);
  });

  it.each(docs)('%s links only to files that exist', (file) => {
    const links = [...read(file).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((match) => match[1]!).filter((target) => !/^[a-z]+:/.test(target));
    for (const target of links) expect(existsSync(resolve(dirname(join(root, file)), target)), `${file} → ${target}`).toBe(true);
  });

  it('states the Node.js minimum that package.json declares', () => {
    const { engines } = JSON.parse(read('package.json')) as { engines: { node: string } };
    const minimum = /^>=(\d+\.\d+)$/.exec(engines.node)?.[1];
    expect(minimum).toBeDefined();
    expect(read('README.md')).toContain(`**Node.js ${minimum}+**`);
    expect(read('docs/deploy.md')).toContain(`Node.js ${minimum} or later`);
  });
});

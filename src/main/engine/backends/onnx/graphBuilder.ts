/**
 * A tiny ONNX graph builder (opset 17) over onnx-proto's ModelProto, so that the fused training graphs can
 * be written as straight-line TypeScript. Shapes are static: every graph is built for one trainer.
 */
import { createRequire } from 'node:module';
import type onnxProto from 'onnx-proto';
import type { Dtype } from '../../../../shared/config/schema';

// onnx-proto is CommonJS: required, not imported, because Node scans a CommonJS module an ES import names for its
// exports first, and this one is 330 KB (~25 ms more of the engine's start and ~55 ms more CPU, issue 13).
const { onnx } = createRequire(import.meta.url)('onnx-proto') as typeof onnxProto;

export const OPSET = 17;

/** ONNX element types used here. */
export const ElemType = { float32: 1, uint8: 2, int32: 6, bool: 9, float64: 11, int64: 7 } as const;

type AttrValue = number | readonly number[] | { float: number } | string;

/** Builds one graph; `op()` returns the name of the node's (first) output. */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;
  readonly elem: number;

  constructor(readonly dtype: Dtype) {
    this.elem = dtype === 'float64' ? ElemType.float64 : ElemType.float32;
  }

  private fresh(prefix: string): string {
    this.counter += 1;
    return `${prefix}_${this.counter}`;
  }

  /** Declares a graph input, of the builder's float dtype unless `elem` says (dims [] for a scalar, null for a shape given at each run). */
  input(name: string, dims: readonly number[] | null, elem: number = this.elem): string {
    this.inputs.push(valueInfo(name, elem, dims));
    return name;
  }

  /** Declares `value` as the graph output `name` (adds an Identity when the names differ). */
  output(value: string, name: string, elem: number = this.elem): void {
    if (value !== name) this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: this.fresh('Identity') });
    this.outputs.push(valueInfo(name, elem, null));
  }

  /** A float scalar constant of the builder's dtype. */
  scalar(value: number): string {
    const name = this.fresh('const');
    const raw = this.dtype === 'float64' ? new Float64Array([value]) : new Float32Array([value]);
    this.initializers.push({ name, dims: [], dataType: this.elem, rawData: new Uint8Array(raw.buffer) });
    return name;
  }

  /** An int64 vector constant (axes, slice bounds, shapes). */
  ints(values: readonly number[]): string {
    const name = this.fresh('ints');
    const raw = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: [values.length], dataType: ElemType.int64, rawData: new Uint8Array(raw.buffer) });
    return name;
  }

  /** Appends a node; returns its single output's name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    const out = this.fresh(opType);
    this.nodes.push({ opType, input: [...inputs], output: [out], name: `${out}_node`, attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) });
    return out;
  }

  /** Encodes the model (IR 8, opset 17). */
  build(graphName: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'ntk-workbench',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: { name: graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, elemType: number, dims: readonly number[] | null): onnxProto.onnx.IValueInfoProto {
  const tensorType: onnxProto.onnx.TypeProto.ITensor = { elemType };
  if (dims !== null) tensorType.shape = { dim: dims.map((d) => ({ dimValue: d })) };
  return { name, type: { tensorType } };
}

function attr(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: [...(v as readonly number[])] };
  return { name, type: T.FLOAT, f: (v as { float: number }).float };
}

import type { Shape, StructureShape } from '../model.js';
import { protocolErrors } from '../protocol-errors.js';

/** A form parameter tree: `Attribute.1.Name=x` becomes { Attribute: { '1': { Name: 'x' } } }. */
type Node = { value?: string; children?: Map<string, Node> };

export function parseForm(text: string): URLSearchParams {
  return new URLSearchParams(text);
}

function buildTree(params: URLSearchParams, skip: Set<string>): Node {
  const root: Node = { children: new Map() };
  for (const [key, value] of params) {
    if (skip.has(key)) continue;
    let node = root;
    for (const part of key.split('.')) {
      node.children ??= new Map();
      let next = node.children.get(part);
      if (!next) {
        next = {};
        node.children.set(part, next);
      }
      node = next;
    }
    node.value = value;
  }
  return root;
}

/**
 * Decodes AWS Query parameters into the operation's wire-shaped input, following the model's
 * element names: flattened lists `Name.N`, wrapped lists `Name.member.N`, maps
 * `Name.N.Key`/`Name.N.Value`. Required members missing → MissingParameter.
 */
export function decodeQueryInput(params: URLSearchParams, shape: StructureShape): Record<string, unknown> {
  const tree = buildTree(params, new Set(['Action', 'Version']));
  return (readStructure(shape, tree, '') ?? {}) as Record<string, unknown>;
}

function readStructure(shape: StructureShape, node: Node, path: string): Record<string, unknown> | undefined {
  if (!node.children) return undefined;
  const out: Record<string, unknown> = {};
  for (const name in shape.members) {
    const member = shape.members[name];
    const child = node.children.get(member.queryName);
    if (!child) continue;
    const value = read(member, child, `${path}${member.queryName}`, member.queryName);
    if (value !== undefined) out[name] = value;
  }
  for (const name of shape.required ?? []) {
    if (out[name] === undefined) throw protocolErrors.missingParameter(path + shape.members[name].queryName);
  }
  return out;
}

function read(shape: Shape, node: Node, path: string, label: string): unknown {
  switch (shape.type) {
    case 'structure':
      return readStructure(shape, node, `${path}.`);
    case 'list': {
      const container = shape.flattened ? node : node.children?.get(shape.memberName);
      const items = indexed(container, path).map(([i, item]) => read(shape.member, item, `${path}.${i}`, label));
      // A bare value where a structure belongs (`Entry.1=x`) names no member: it is ignored, and a
      // list of nothing else is as if absent.
      const present = items.filter((item) => item !== undefined);
      return present.length === 0 && items.length > 0 ? undefined : present;
    }
    case 'map': {
      const out: Record<string, unknown> = {};
      const entries = shape.flattened ? node : node.children?.get('entry');
      for (const [i, entry] of indexed(entries, path)) {
        const key = entry.children?.get(shape.keyName)?.value;
        const valueNode = entry.children?.get(shape.valueName);
        if (key === undefined) throw protocolErrors.missingParameter(`${path}.${i}.${shape.keyName}`);
        if (!valueNode) throw protocolErrors.missingParameter(`${path}.${i}.${shape.valueName}`);
        out[key] = read(shape.value, valueNode, `${path}.${i}.${shape.valueName}`, label);
      }
      return out;
    }
    case 'integer':
    case 'long': {
      const text = node.value ?? '';
      if (!/^-?\d+$/.test(text.trim())) {
        throw protocolErrors.invalidParameterValue(`Value ${text} for parameter ${label} is invalid. Reason: must be an integer.`);
      }
      return Number(text.trim());
    }
    case 'boolean': {
      const text = (node.value ?? '').toLowerCase();
      if (text !== 'true' && text !== 'false') {
        throw protocolErrors.invalidParameterValue(`Value ${node.value} for parameter ${label} is invalid. Reason: must be true or false.`);
      }
      return text === 'true';
    }
    default:
      return node.value ?? '';
  }
}

/** Children named 1..N, in numeric order; AWS rejects index 0 and non-numeric indexes. */
function indexed(node: Node | undefined, path: string): Array<[number, Node]> {
  if (!node?.children) return [];
  const out: Array<[number, Node]> = [];
  for (const [key, child] of node.children) {
    if (!/^\d+$/.test(key) || Number(key) < 1) {
      throw protocolErrors.malformedInput(`${key} is not a valid index in ${path}`);
    }
    out.push([Number(key), child]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

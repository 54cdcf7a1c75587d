/**
 * The OPC UA services the client uses, one function each, on an open session: read, write,
 * browse, describe (attributes plus EngineeringUnits/EURange properties) and method call.
 * Time limits and connection state are the caller's business (see client.ts).
 * @module
 */
import {
  AttributeIds, BrowseDirection, DataType, NodeClass, VariantArrayType,
  type BrowseResult, type ClientSession, type DataValue, type NodeId, type ReferenceDescription,
} from 'node-opcua';
import { InvalidInputError } from '../../core/errors.js';
import type { BrowseEntry, NodeValue, WaitOptions } from '../contracts.js';
import { builtInOf, dataTypeByName, dataTypeName, fromVariant, nodeValueOf, toVariant, type OpcuaDataTypeName } from './datatypes.js';
import { describeStatus, statusError, throwIfBad, throwIfNotGood } from './status.js';

/** Options of a write: skip the type lookup by naming the built-in type. */
export interface WriteOptions extends WaitOptions {
  /** Built-in data type of the node, e.g. `Double` (default: read from the node once). */
  dataType?: OpcuaDataTypeName;
  /** With `dataType`: the node holds an array. Default false. */
  isArray?: boolean;
}

/** Options of a method call. */
export type CallOptions = WaitOptions;

/** What a write needs to know about a node. */
export interface NodeType {
  dataType: DataType;
  isArray: boolean;
}

/** A node's description as read from the server. */
export interface NodeInfo {
  nodeId: string;
  browseName: string;
  displayName: string;
  description: string;
  /** `Variable`, `Object`, `Method`, ... */
  nodeClass: string;
  /** Built-in data type name (`Double`), or undefined when it is not a built-in type. */
  dataType: string | undefined;
  /** -1 scalar, 1 one-dimensional array, ... (OPC UA ValueRank). */
  valueRank: number;
  /** Array lengths per dimension (0 = any); empty for scalars or when the server gives none. */
  arrayDimensions: number[];
  /** True when the session may write the value (UserAccessLevel CurrentWrite). */
  writable: boolean;
  /** EngineeringUnits display name (e.g. `°C`), if the node has that property. */
  units: string | undefined;
  /** EURange, if the node has that property. */
  range: { low: number; high: number } | undefined;
}

const CURRENT_WRITE = 0x02;

/** Read one node's value; a Bad status rejects with DeviceError. */
export async function readValue<T>(session: ClientSession, device: string, nodeId: NodeId): Promise<NodeValue<T>> {
  const dv = await session.read({ nodeId, attributeId: AttributeIds.Value });
  throwIfBad(device, `read ${nodeId.toString()}`, dv.statusCode);
  return nodeValueOf<T>(dv);
}

/** Build a NodeType from a type name given by the caller. */
export function typeFromOptions(name: OpcuaDataTypeName, isArray = false): NodeType {
  return { dataType: dataTypeByName(name), isArray };
}

/** Find the built-in type and array-ness of a node (DataType, ValueRank, else its current value). */
export async function readType(session: ClientSession, device: string, nodeId: NodeId): Promise<NodeType> {
  const [dtv, rankv, valuev] = await session.read([
    { nodeId, attributeId: AttributeIds.DataType },
    { nodeId, attributeId: AttributeIds.ValueRank },
    { nodeId, attributeId: AttributeIds.Value },
  ]);
  if (!dtv || !rankv || !valuev) throw new InvalidInputError({ what: device, value: nodeId.toString(), reason: 'the server returned no attributes' });
  throwIfBad(device, `describe ${nodeId.toString()}`, dtv.statusCode);
  const variant = valuev.statusCode.isGood() ? valuev.value : undefined;
  const dataType = builtInOf(dtv.value.value as NodeId) ?? (variant && variant.dataType !== DataType.Null ? variant.dataType : undefined);
  if (dataType === undefined) {
    throw new InvalidInputError({ what: `${device} ${nodeId.toString()}`, value: String(dtv.value.value), reason: 'data type is not a built-in type labrig can write' });
  }
  const rank = rankv.statusCode.isGood() ? (rankv.value.value as number) : -1;
  const isArray = rank >= 1 || (rank !== -1 && variant !== undefined && variant.arrayType !== VariantArrayType.Scalar);
  return { dataType, isArray };
}

/** Write a checked value; any status but Good rejects with DeviceError. */
export async function writeValue(session: ClientSession, device: string, nodeId: NodeId, type: NodeType, value: unknown): Promise<void> {
  const what = `${device} ${nodeId.toString()}`;
  const variant = toVariant(what, type.dataType, value, type.isArray);
  const status = await session.write({ nodeId, attributeId: AttributeIds.Value, value: { value: variant } });
  throwIfNotGood(device, `write ${nodeId.toString()}`, status);
}

function entryOf(ref: ReferenceDescription): BrowseEntry & { displayName: string } {
  return {
    nodeId: ref.nodeId.toString(),
    browseName: ref.browseName.name ?? '',
    displayName: ref.displayName.text ?? '',
    nodeClass: NodeClass[ref.nodeClass] ?? String(ref.nodeClass),
  };
}

/** List the hierarchical children of a node, following continuation points. */
export async function browse(session: ClientSession, device: string, nodeId: NodeId): Promise<Array<BrowseEntry & { displayName: string }>> {
  let result: BrowseResult = await session.browse({
    nodeId,
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: 'HierarchicalReferences',
    includeSubtypes: true,
    nodeClassMask: 0,
    resultMask: 0x3f,
  });
  throwIfBad(device, `browse ${nodeId.toString()}`, result.statusCode);
  const out = (result.references ?? []).map(entryOf);
  while (result.continuationPoint && result.continuationPoint.length > 0) {
    result = await session.browseNext(result.continuationPoint, false);
    throwIfBad(device, `browse ${nodeId.toString()}`, result.statusCode);
    out.push(...(result.references ?? []).map(entryOf));
  }
  return out;
}

async function properties(session: ClientSession, nodeId: NodeId): Promise<Map<string, NodeId>> {
  const result = await session.browse({
    nodeId,
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: 'HasProperty',
    includeSubtypes: true,
    nodeClassMask: 0,
    resultMask: 0x3f,
  });
  const out = new Map<string, NodeId>();
  if (result.statusCode.isBad()) return out;
  for (const ref of result.references ?? []) if (ref.browseName.name) out.set(ref.browseName.name, ref.nodeId as unknown as NodeId);
  return out;
}

function good(dv: DataValue | undefined): unknown {
  return dv && dv.statusCode.isGood() ? dv.value.value : undefined;
}

/** Read a node's attributes and its EngineeringUnits / EURange properties. */
export async function readInfo(session: ClientSession, device: string, nodeId: NodeId): Promise<NodeInfo> {
  const attrs = [
    AttributeIds.NodeClass, AttributeIds.BrowseName, AttributeIds.DisplayName, AttributeIds.Description,
    AttributeIds.DataType, AttributeIds.ValueRank, AttributeIds.ArrayDimensions, AttributeIds.UserAccessLevel,
  ];
  const dvs = await session.read(attrs.map((attributeId) => ({ nodeId, attributeId })));
  const [cls, bname, dname, desc, dtype, rank, dims, access] = dvs;
  if (!cls || cls.statusCode.isBad()) {
    throw statusError(device, `describe ${nodeId.toString()}`, cls?.statusCode ?? dvs[0]!.statusCode);
  }
  const nodeClass = NodeClass[good(cls) as number] ?? 'Unspecified';
  const dtId = good(dtype) as NodeId | undefined;
  const dt = dtId ? builtInOf(dtId) : undefined;
  const info: NodeInfo = {
    nodeId: nodeId.toString(),
    browseName: (good(bname) as { name?: string } | undefined)?.name ?? '',
    displayName: (good(dname) as { text?: string } | undefined)?.text ?? '',
    description: (good(desc) as { text?: string } | undefined)?.text ?? '',
    nodeClass,
    dataType: dt === undefined ? undefined : dataTypeName(dt),
    valueRank: (good(rank) as number | undefined) ?? -1,
    arrayDimensions: Array.from((good(dims) as ArrayLike<number> | null | undefined) ?? []),
    writable: (((good(access) as number | undefined) ?? 0) & CURRENT_WRITE) !== 0,
    units: undefined,
    range: undefined,
  };
  if (nodeClass !== 'Variable') return info;
  const props = await properties(session, nodeId);
  const eu = props.get('EngineeringUnits');
  const range = props.get('EURange');
  const wanted = [eu, range].filter((x): x is NodeId => x !== undefined);
  if (wanted.length === 0) return info;
  const values = await session.read(wanted.map((id) => ({ nodeId: id, attributeId: AttributeIds.Value })));
  let i = 0;
  if (eu) {
    const v = good(values[i++]) as { displayName?: { text?: string | null } } | undefined;
    const text = v?.displayName?.text;
    if (text) info.units = text;
  }
  if (range) {
    const v = good(values[i++]) as { low?: number; high?: number } | undefined;
    if (v && typeof v.low === 'number' && typeof v.high === 'number') info.range = { low: v.low, high: v.high };
  }
  return info;
}

/** Call a method with arguments converted to its declared input types; return the outputs. */
export async function callMethod(session: ClientSession, device: string, objectId: NodeId, methodId: NodeId, args: unknown[]): Promise<unknown[]> {
  const what = `${device} call ${methodId.toString()}`;
  const def = await session.getArgumentDefinition(methodId);
  const inputs = def.inputArguments ?? [];
  if (args.length !== inputs.length) {
    throw new InvalidInputError({ what, value: args, reason: `expected ${inputs.length} argument(s): ${inputs.map((a) => a.name).join(', ') || 'none'}` });
  }
  const inputArguments = inputs.map((arg, i) => {
    const dt = builtInOf(arg.dataType);
    if (dt === undefined) throw new InvalidInputError({ what: `${what} argument ${arg.name}`, value: args[i], reason: 'has a data type labrig cannot encode' });
    return toVariant(`${what} argument ${arg.name ?? i}`, dt, args[i], arg.valueRank >= 1);
  });
  const result = await session.call({ objectId, methodId, inputArguments });
  if (result.statusCode.isNotGood()) {
    const bad = (result.inputArgumentResults ?? []).map((s, i) => (s.isNotGood() ? `${inputs[i]?.name ?? i}: ${describeStatus(s)}` : '')).filter(Boolean);
    throw statusError(device, `call ${methodId.toString()}${bad.length ? ` (${bad.join('; ')})` : ''}`, result.statusCode);
  }
  return (result.outputArguments ?? []).map((v) => fromVariant(v));
}

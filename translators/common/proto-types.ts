import { protoRoot } from '../../protos/load.ts';
import protobuf from 'protobufjs';

/**
 * Whether a message type is among the loaded protos. protobufjs packs an Any of an unknown type as
 * an empty Any without complaint, so optional extensions are emitted only when their type is known.
 */
export function isLoadedProtoType(fullName: string): boolean {
  return protoRoot().lookup(`.${fullName}`) instanceof protobuf.Type;
}

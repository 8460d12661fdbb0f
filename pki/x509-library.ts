/**
 * The one entry point to @peculiar/x509: it loads the Reflect metadata polyfill the library's
 * tsyringe dependency needs before the library loads, and points the library at Node's webcrypto.
 * Import x509 from here, never from '@peculiar/x509' directly.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Node's webcrypto implements the DOM Crypto interface; only the declared types differ.
const nodeWebCrypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(nodeWebCrypto);

export { x509 };
export const subtle: SubtleCrypto = nodeWebCrypto.subtle;

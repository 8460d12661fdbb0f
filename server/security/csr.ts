/**
 * Checks a PKCS#10 certificate request before the CA signs it: well-formed, self-signature valid, an
 * acceptable key, and no requested URI SAN other than the caller's authenticated SPIFFE id.
 * The issued certificate never copies SANs from the request; this check only turns a mismatch into a
 * clear error instead of silently issuing a different identity than the one asked for.
 */
import { x509 } from '../../pki/x509-library.ts';
import { SecurityError } from '../../pki/errors.ts';
import { errorMessage } from '../../common/error-message.ts';
import { decodePemBlocks } from '../../pki/pem.ts';
import { publicKeyFromSpki, workloadPublicKeyProblem } from '../../pki/keys.ts';

const CSR_PEM_TYPES = new Set(['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);
const SUBJECT_ALT_NAME_OID = '2.5.29.17';

export async function readCertificateRequest(
  csrPem: string,
  authenticatedSpiffeId: string,
): Promise<x509.Pkcs10CertificateRequest> {
  const request = parseCertificateRequest(csrPem);
  let signatureValid: boolean;
  try {
    signatureValid = await request.verify();
  } catch (error: unknown) {
    throw new SecurityError(
      'MESHPILOT_ERR_CSR_INVALID',
      `certificate request signature cannot be checked: ${errorMessage(error)}`,
    );
  }
  if (!signatureValid) {
    throw new SecurityError(
      'MESHPILOT_ERR_CSR_INVALID',
      'certificate request signature does not verify against the public key it carries',
    );
  }
  const keyProblem = workloadPublicKeyProblem(publicKeyFromSpki(request.publicKey.rawData));
  if (keyProblem !== undefined)
    throw new SecurityError('MESHPILOT_ERR_CSR_INVALID', `certificate request key: ${keyProblem}`);

  for (const requested of requestedUris(request)) {
    if (requested !== authenticatedSpiffeId) {
      throw new SecurityError(
        'MESHPILOT_ERR_CSR_IDENTITY',
        `certificate request asks for identity "${requested}" but the caller is authenticated as "${authenticatedSpiffeId}"`,
      );
    }
  }
  return request;
}

function parseCertificateRequest(csrPem: string): x509.Pkcs10CertificateRequest {
  const decoded = decodePemBlocks(csrPem);
  if (!decoded.ok) throw new SecurityError('MESHPILOT_ERR_CSR_INVALID', `certificate request PEM: ${decoded.reason}`);
  const [block, ...extra] = decoded.value;
  if (block === undefined)
    throw new SecurityError('MESHPILOT_ERR_CSR_INVALID', 'no PEM CERTIFICATE REQUEST block found');
  if (extra.length > 0) {
    throw new SecurityError(
      'MESHPILOT_ERR_CSR_INVALID',
      `expected one PEM CERTIFICATE REQUEST block, found ${decoded.value.length} blocks`,
    );
  }
  if (!CSR_PEM_TYPES.has(block.type)) {
    throw new SecurityError(
      'MESHPILOT_ERR_CSR_INVALID',
      `PEM block is a ${block.type}, expected a CERTIFICATE REQUEST`,
    );
  }
  try {
    return new x509.Pkcs10CertificateRequest(block.der);
  } catch (error: unknown) {
    throw new SecurityError(
      'MESHPILOT_ERR_CSR_INVALID',
      `certificate request is not valid DER PKCS#10 (${errorMessage(error)})`,
    );
  }
}

function requestedUris(request: x509.Pkcs10CertificateRequest): string[] {
  const uris: string[] = [];
  for (const extension of request.extensions) {
    if (extension.type !== SUBJECT_ALT_NAME_OID) continue;
    let names: x509.SubjectAlternativeNameExtension;
    try {
      names = new x509.SubjectAlternativeNameExtension(extension.rawData);
    } catch (error: unknown) {
      throw new SecurityError(
        'MESHPILOT_ERR_CSR_INVALID',
        `certificate request subjectAltName extension is malformed (${errorMessage(error)})`,
      );
    }
    for (const name of names.names.items) {
      if (name.type === 'url') uris.push(name.value);
    }
  }
  return uris;
}

/**
 * Media without a Client: the type table, media crypto (one-shot and streaming), upload preparation,
 * HTTP transfers with host fallback, media retry crypto, `media_conn` parsing, message references, and
 * mimetype/dimension sniffing. The Client's media API is built on these.
 *
 * @example
 * ```ts
 * import { createFetchHttpClient, downloadAndDecrypt, prepareUpload, uploadEncrypted } from "./mod.ts";
 * import { MediaServer } from "@wadeno/client/testing";
 *
 * await using server = await MediaServer.start(); // a local media CDN on 127.0.0.1, with its own CA
 * using http = createFetchHttpClient({ caCerts: [server.caCert] });
 * const { auth, hosts } = server.mediaConn();
 * const hostnames = hosts.map((h) => h.hostname);
 *
 * const photo = new Uint8Array(10_000).fill(7);
 * await using encrypted = await prepareUpload(photo, "image");
 * const { directPath } = await uploadEncrypted({ hosts: hostnames, auth, mediaType: "image", encrypted, http });
 * const back = await downloadAndDecrypt({
 *   directPath,
 *   hosts: hostnames,
 *   mediaType: "image",
 *   mediaKey: encrypted.mediaKey,
 *   fileSha256: encrypted.fileSha256,
 *   fileEncSha256: encrypted.fileEncSha256,
 *   fileLength: encrypted.fileLength,
 *   http,
 * });
 * back.length; // 10000
 * ```
 *
 * @module
 */

export { MediaError, type MediaErrorCode, type MediaErrorOptions } from "./errors.ts";
export {
  MEDIA_KINDS,
  MEDIA_TYPES,
  type MediaKind,
  type MediaMessageField,
  mediaType,
  type MediaTypeInfo,
  type MediaTypeLike,
  newsletterUploadPath,
} from "./media_type.ts";
export {
  decryptMedia,
  type DecryptOptions,
  encryptedLengthFor,
  type EncryptedMedia,
  encryptMedia,
  type EncryptorFinal,
  EXPANDED_MEDIA_KEY_LENGTH,
  expandMediaKey,
  generateMediaKey,
  MEDIA_KEY_LENGTH,
  MEDIA_MAC_LENGTH,
  type MediaExpectations,
  type MediaHashes,
  type MediaKeys,
} from "./crypto.ts";
export { MediaDecryptor, MediaEncryptor } from "./incremental.ts";
export {
  decryptMediaStream,
  type DecryptStreamOptions,
  type EncryptingStream,
  encryptMediaStream,
  type EncryptStreamOptions,
  MEDIA_CHUNK_SIZE,
  type MediaFile,
  type MediaSource,
  mediaSourceStream,
  readAllBytes,
} from "./media_stream.ts";
export {
  type EncryptedUpload,
  prepareUpload,
  type PrepareUploadOptions,
  type UploadBody,
} from "./upload_source.ts";
export {
  createFetchHttpClient,
  defaultHttpClient,
  type FetchHttpClient,
  type FetchHttpClientOptions,
  type MediaHttpClient,
  type MediaHttpRequest,
} from "./http.ts";
export {
  type DecryptDownloadOptions,
  downloadAndDecrypt,
  downloadAndDecryptStream,
  downloadAndDecryptToFile,
  downloadEncrypted,
  type DownloadOptions,
  type DownloadResponse,
  type DownloadSource,
  type DownloadToFileOptions,
  downloadUrl,
  mediaToken,
  uploadEncrypted,
  type UploadOptions,
  type UploadResult,
  WA_WEB_ORIGIN,
} from "./transport.ts";
export {
  buildMediaRetryReceipt,
  decryptMediaRetryNotification,
  decryptMediaRetryRequest,
  encryptMediaRetryNotification,
  encryptMediaRetryRequest,
  MEDIA_RETRY_INFO,
  type MediaRetryAnswer,
  type MediaRetryCiphertext,
  type MediaRetryErrorCode,
  mediaRetryKey,
  type MediaRetryNotice,
  type MediaRetryResult,
  type MediaRetryTarget,
  parseMediaRetryNotification,
} from "./retry_crypto.ts";
export {
  type MediaConn,
  mediaConnExpiresAt,
  type MediaHost,
  mediaHostnames,
  parseMediaConn,
} from "./media_conn.ts";
export {
  externalBlobRef,
  historySyncRef,
  type MediaRef,
  mediaRefOf,
  thumbnailRefOf,
  unwrapMessage,
} from "./media_ref.ts";
export { type ImageDimensions, imageDimensions, OCTET_STREAM, sniffMimetype } from "./sniff.ts";

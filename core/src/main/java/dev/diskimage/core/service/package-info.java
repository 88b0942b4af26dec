/**
 * The image service API: where images live before they reach a volume and where volumes go back
 * as images. {@link dev.diskimage.core.service.ImageService} has the shape of Nova's and Cinder's
 * image API (get, list, create, upload, download, update, delete) in Java style; its two
 * implementations are in the catalog module (a local directory, the embedded default, and a
 * Glance v2 client).
 *
 * <p>Everything a service returns is untrusted: the metadata's sizes and checksums are what the
 * download is verified against, never a reason to skip verification.
 */
package dev.diskimage.core.service;

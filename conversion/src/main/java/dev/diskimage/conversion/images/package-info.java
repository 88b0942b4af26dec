/**
 * Moving images between an image service and volumes: Cinder's {@code fetch},
 * {@code fetch_verify_image}, {@code fetch_to_raw}, {@code fetch_to_vhd},
 * {@code fetch_to_volume_format} and {@code upload_volume}, and {@code TemporaryImages}.
 *
 * <p>Every download is one streaming pass that hashes (the service's MD5 {@code checksum} and its
 * {@code os_hash_algo} multihash), validates (the validator's inspecting stream), enforces the
 * size the service states and writes; a mismatch or a refusal deletes what was written and
 * raises a typed error naming the image. A saved download is validated again as a file (with
 * the qemu-img cross-check) before anything converts it.
 */
package dev.diskimage.conversion.images;

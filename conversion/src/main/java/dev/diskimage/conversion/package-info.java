/**
 * Converting and resizing validated images with qemu-img: {@link dev.diskimage.conversion.ImageConverter}
 * is the entry point. Every source is accepted by the pure-Java validator before qemu-img opens
 * it, file targets appear whole or not at all, and every failure is a typed
 * {@link dev.diskimage.core.ImageException}. See {@code docs/conversion.md} for the flags chosen.
 */
package dev.diskimage.conversion;

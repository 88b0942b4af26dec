/**
 * Distro cloud images (avocado's vmimage): providers that describe where each distro publishes
 * its images ({@link dev.diskimage.catalog.distro.DistroProvider}, registered in
 * {@link dev.diskimage.catalog.distro.DistroProviders}), version discovery from HTTP directory
 * listings, published checksum files, and {@link dev.diskimage.catalog.distro.DistroImage}, which
 * downloads an image once into the shared {@link dev.diskimage.catalog.cache.ImageCache} (checked
 * and admitted by the caller's gate) and hands out a new qcow2 overlay per call.
 */
package dev.diskimage.catalog.distro;

/**
 * The on-disk image cache shared by distro images and template repositories: downloads each
 * image once (across threads and processes), verifies its checksum, has the caller's
 * {@link dev.diskimage.core.ImageGate} admit it before it becomes an entry, and evicts least
 * recently used entries that nothing uses. {@link dev.diskimage.catalog.cache.ImageCache} is the
 * entry point.
 */
package dev.diskimage.catalog.cache;

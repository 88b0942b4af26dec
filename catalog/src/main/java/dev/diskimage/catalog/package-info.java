/**
 * Where images come from: {@link dev.diskimage.catalog.GlanceImageService}, the
 * {@link dev.diskimage.core.service.ImageService} over Glance's image API v2 (see
 * {@code docs/glance.md}).
 */
package dev.diskimage.catalog;

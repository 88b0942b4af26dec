/**
 * Test fixtures that other modules' tests share (the catalog test jar): a real glance-api without
 * Keystone ({@link dev.diskimage.catalog.testing.GlanceServer}) and a real nginx serving a
 * directory with listings on ({@link dev.diskimage.catalog.testing.NginxServer}).
 */
package dev.diskimage.catalog.testing;

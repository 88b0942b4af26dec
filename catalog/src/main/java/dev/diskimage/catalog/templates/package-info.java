/**
 * Template repositories in the manner of lago: a JSON document ({@link
 * dev.diskimage.catalog.templates.TemplateRepository}) names sources ({@code file} or
 * {@code http}) and templates with timestamped versions; a local
 * {@link dev.diskimage.catalog.templates.TemplateStore} keeps each version as a
 * {@code repo:template:version} file with its {@code .hash} and {@code .metadata}, made from an
 * image the caller's {@link dev.diskimage.core.ImageGate} admitted. HTTP downloads go through
 * the shared image cache. See {@code docs/templates.md}.
 */
package dev.diskimage.catalog.templates;

package dev.diskimage.core.service;

import dev.diskimage.core.ImageNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * Where images are kept: Nova's and Cinder's image API ({@code nova.image.api}) in Java style.
 * Implementations: the catalog module's local directory service (the embedded default) and its
 * Glance v2 client.
 *
 * <p>Errors are typed: {@link ImageNotFoundException} for an id the service does not have,
 * {@link ImageServiceAuthorizationException} (401, 403), {@link ImageConflictException} (409,
 * e.g. data uploaded twice), {@link ImageQuotaExceededException} (413),
 * {@link ImageServiceUnavailableException} when the service cannot be reached or fails (5xx)
 * after the retries an implementation makes for idempotent calls, and
 * {@link ImageServiceException} for the rest. Implementations are thread-safe.
 */
public interface ImageService {

    /**
     * Names this service for messages and as part of cache keys: two instances with the same
     * location reach the same images.
     *
     * @return e.g. {@code glance http://127.0.0.1:9292} or {@code directory /srv/images}
     */
    String location();

    /**
     * One image's record.
     *
     * @param ctx who asks
     * @param id the image's id
     * @return its record
     * @throws ImageNotFoundException if the service has no such image (or hides it from the caller)
     */
    ImageMeta get(RequestContext ctx, String id);

    /**
     * The images a query selects, fetched page by page as the stream is consumed. Close the
     * stream (or consume it) to release what a page holds.
     *
     * @param ctx who asks
     * @param query filters, sort order and page size
     * @return the images, lazily
     */
    Stream<ImageMeta> list(RequestContext ctx, ImageQuery query);

    /**
     * Creates an image record with no data ({@link ImageStatus#QUEUED}).
     *
     * @param ctx who asks
     * @param image the record to create
     * @return the record as created, with its id
     */
    ImageMeta create(RequestContext ctx, NewImage image);

    /**
     * Uploads an image's data. The service computes the checksum and multihash; the caller
     * compares them with its own ({@code upload_volume} does).
     *
     * @param ctx who asks
     * @param id the image, created and still without data
     * @param data the bytes; read to its end, not closed
     * @param size the number of bytes, if known (lets the service refuse early)
     * @return the record after the upload, normally {@link ImageStatus#ACTIVE} with its hashes
     */
    ImageMeta upload(RequestContext ctx, String id, InputStream data, OptionalLong size);

    /**
     * Uploads a file as an image's data.
     *
     * @param ctx who asks
     * @param id the image, created and still without data
     * @param file the file to upload
     * @return the record after the upload
     */
    default ImageMeta upload(RequestContext ctx, String id, Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return upload(ctx, id, in, OptionalLong.of(Files.size(file)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " to upload it as image " + id, e);
        }
    }

    /**
     * Opens an image's data. The stream is the service's bytes, unverified: callers check size
     * and hashes as they read (the conversion module's download does).
     *
     * @param ctx who asks
     * @param id the image
     * @return the data; the caller closes it
     * @throws ImageNotFoundException if there is no such image
     * @throws ImageServiceException if the image has no data (not active)
     */
    InputStream download(RequestContext ctx, String id);

    /**
     * Changes an image's record.
     *
     * @param ctx who asks
     * @param id the image
     * @param changes values to set and properties to remove
     * @param purgeProps whether extra properties that {@code changes} does not set are removed
     *     (Cinder's and Nova's {@code purge_props})
     * @return the record after the change
     */
    ImageMeta update(RequestContext ctx, String id, ImageChanges changes, boolean purgeProps);

    /**
     * Deletes an image and its data.
     *
     * @param ctx who asks
     * @param id the image
     * @throws ImageNotFoundException if there is no such image
     */
    void delete(RequestContext ctx, String id);
}

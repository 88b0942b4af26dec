package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.service.HashAlgorithm;
import dev.diskimage.core.service.ImageDigests;
import dev.diskimage.core.service.ImageHasher;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.ImageService;
import dev.diskimage.core.service.NewImage;
import dev.diskimage.core.service.RequestContext;
import dev.diskimage.validation.ValidatedImage;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code diskimage upload}: validates a file, creates an image record, uploads the bytes while
 * hashing them here, and checks the service's checksum and multihash against this side's. A
 * refused file creates nothing; a failed or mismatched upload deletes the record it created.
 * A progress bar on standard error when it is a terminal.
 */
@Command(name = "upload", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Validates an image file and uploads it to an image service as a new image; prints its id.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:uploaded", "1:the image was refused, or the service's hashes do not match the file's",
            "2:usage, set-up or I/O error, or a service failure"})
final class UploadCommand extends ImageCommand {
    @Mixin
    ImageServiceOptions service;

    @Option(names = "--name", paramLabel = "N", required = true, description = "The image's display name.")
    String name;

    @Option(names = "--disk-format", paramLabel = "F", required = true,
            description = "Declared format (Glance or qemu names); the bytes must be this format.")
    String diskFormat;

    @Option(names = "--container-format", paramLabel = "C", defaultValue = "bare",
            description = "Container format (default: ${DEFAULT-VALUE}).")
    String containerFormat;

    @Option(names = "--visibility", paramLabel = "V", defaultValue = "private",
            description = "private, shared, public or community (default: ${DEFAULT-VALUE}).")
    String visibility;

    @Option(names = "--property", paramLabel = "K=V", description = "An extra property (repeatable).")
    Map<String, String> properties = new TreeMap<>();

    @Parameters(paramLabel = "FILE", description = "The image file.")
    Path file;

    @Override
    void execute(PrintWriter out, PrintWriter err) {
        ValidatedImage image = validated(validator(), file, diskFormat, "--disk-format");
        ImageService images = service.open();
        RequestContext ctx = service.context();
        NewImage request = new NewImage(java.util.Optional.empty(), name, image.format().glanceName(),
                containerFormat, visibility, properties);
        ImageMeta created = images.create(ctx, request);
        ImageMeta uploaded;
        try {
            uploaded = upload(images, ctx, created, image, err);
        } catch (RuntimeException e) {
            discard(images, ctx, created);
            throw e;
        }
        if (quiet) {
            return;
        }
        if (json) {
            ObjectNode root = object();
            root.put("id", uploaded.id());
            ImagesCommand.putSize(root, "size", uploaded.size());
            root.put("checksum", uploaded.checksum().orElse(null));
            root.put("os_hash_algo", uploaded.osHashAlgo().orElse(null));
            root.put("os_hash_value", uploaded.osHashValue().orElse(null));
            out.println(root);
        } else {
            out.println(uploaded.id());
        }
    }

    /** Uploads the validated file, hashing what is sent, and checks the service's record against it. */
    private ImageMeta upload(ImageService images, RequestContext ctx, ImageMeta created, ValidatedImage image,
            PrintWriter err) {
        image.requireUnchanged();
        ImageHasher hasher = ImageHasher.of(HashAlgorithm.SHA512);
        ImageMeta uploaded;
        ProgressBar bar = !quiet && ProgressBar.stderrIsTerminal() ? new ProgressBar(err) : null;
        try (InputStream in = new HashingInputStream(Files.newInputStream(file), hasher)) {
            long size = Files.size(file);
            InputStream sent = bar == null || size == 0 ? in : new FilterInputStream(in) {
                @Override
                public int read(byte[] bytes, int offset, int length) throws IOException {
                    int n = super.read(bytes, offset, length);
                    bar.accept(100.0 * hasher.size() / size);
                    return n;
                }
            };
            uploaded = images.upload(ctx, created.id(), sent, OptionalLong.of(size));
        } catch (IOException e) {
            throw new ImageIoException("cannot read the image to upload from", file, e);
        } finally {
            if (bar != null) {
                bar.finish();
            }
        }
        // The bytes sent must be the bytes validated.
        image.requireUnchanged();
        ImageDigests sent = hasher.digests();
        if (uploaded.osHashAlgo().isPresent()
                && !uploaded.osHashAlgo().get().equalsIgnoreCase(HashAlgorithm.SHA512.serviceName())) {
            sent = rehash(ImageHasher.forImage(uploaded));
        }
        sent.verify(uploaded, false);
        return uploaded;
    }

    /** A second pass for a service whose multihash is not SHA-512. */
    private ImageDigests rehash(ImageHasher hasher) {
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                hasher.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new ImageIoException("cannot read the image to hash it again from", file, e);
        }
        return hasher.digests();
    }

    /** Removes the record of a failed upload, so no half-made image is left; never throws. */
    private static void discard(ImageService images, RequestContext ctx, ImageMeta created) {
        try {
            images.delete(ctx, created.id());
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(UploadCommand.class).warn("could not delete image {} after its upload failed: {}",
                    created.id(), e.getMessage());
        }
    }

    /** Feeds every byte read to a hasher. */
    private static final class HashingInputStream extends FilterInputStream {
        private final ImageHasher hasher;

        HashingInputStream(InputStream in, ImageHasher hasher) {
            super(in);
            this.hasher = hasher;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                hasher.update(new byte[] {(byte) b}, 0, 1);
            }
            return b;
        }

        @Override
        public int read(byte[] bytes, int offset, int length) throws IOException {
            int n = super.read(bytes, offset, length);
            if (n > 0) {
                hasher.update(bytes, offset, n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            throw new IOException("skipping would leave bytes unhashed");
        }
    }
}

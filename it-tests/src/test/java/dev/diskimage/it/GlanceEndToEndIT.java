package dev.diskimage.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.catalog.GlanceImageService;
import dev.diskimage.catalog.testing.GlanceServer;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.service.ImageHasher;
import dev.diskimage.core.service.ImageIntegrityException;
import dev.diskimage.core.service.ImageMeta;
import dev.diskimage.core.service.NewImage;
import dev.diskimage.core.service.RequestContext;
import dev.diskimage.core.testing.RealQemuImg;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import dev.diskimage.validation.InspectingInputStream;
import dev.diskimage.validation.ValidationReport;
import dev.diskimage.validation.Verdict;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images made by the real qemu-img go through a real glance-api (no Keystone) and come back
 * validated while they stream and hashed in the same pass: a clean qcow2 is accepted with Glance's
 * hashes matching, a qcow2 with a backing file is refused, and bytes altered in Glance's store
 * behind its back fail the hash check.
 */
class GlanceEndToEndIT {
    private static GlanceServer glance;
    private static GlanceImageService service;
    private final RequestContext ctx = GlanceServer.context();
    private final ImageValidator validator = ImageValidator.of(ImagePolicy.defaults());

    @TempDir
    Path dir;

    @BeforeAll
    static void startGlance() {
        glance = GlanceServer.start();
        service = GlanceImageService.connect(glance.baseUrl());
    }

    @AfterAll
    static void stopGlance() {
        if (glance != null) {
            glance.close();
        }
    }

    @Test
    void aCleanQcow2ComesBackAcceptedWithGlancesHashesMatching() throws IOException {
        ImageMeta image = upload(qcow2("clean.qcow2", null));

        Fetched fetched = fetch(image);

        assertThat(fetched.report().verdict()).isEqualTo(Verdict.ACCEPT);
        fetched.hasher().digests().verify(image, false);
        assertThat(glance.awaitDownloads(image.id(), 1)).isEqualTo(1);
    }

    @Test
    void aQcow2WithABackingFileIsRefusedOnTheWayDown() throws IOException {
        Path base = qcow2("base.qcow2", null);
        ImageMeta image = upload(qcow2("overlay.qcow2", base));

        assertThat(fetch(image).report().verdict()).isEqualTo(Verdict.REJECT);
    }

    @Test
    void bytesAlteredInGlancesStoreFailTheHashCheck() throws IOException {
        ImageMeta image = upload(qcow2("altered.qcow2", null));
        // the same size (Glance sends Content-Length from its record, so appended bytes would be cut)
        Path stored = glance.storedFile(image.id());
        byte[] bytes = Files.readAllBytes(stored);
        bytes[bytes.length - 1] ^= 0x5a;
        Files.write(stored, bytes);

        Fetched fetched = fetch(image);

        assertThatThrownBy(() -> fetched.hasher().digests().verify(image, false))
                .isInstanceOf(ImageIntegrityException.class).hasMessageContaining(image.id());
    }

    private record Fetched(ValidationReport report, ImageHasher hasher) {
    }

    private Fetched fetch(ImageMeta image) throws IOException {
        ImageHasher hasher = ImageHasher.forImage(image);
        try (InputStream data = service.download(ctx, image.id());
                InspectingInputStream in = validator.inspecting(data, image.id(), DiskFormat.QCOW2)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                hasher.update(buffer, 0, n);
            }
            return new Fetched(in.report(), hasher);
        }
    }

    private ImageMeta upload(Path file) {
        ImageMeta created = service.create(ctx, NewImage.of(file.getFileName().toString(), "qcow2"));
        return service.upload(ctx, created.id(), file);
    }

    private Path qcow2(String name, Path backing) {
        Path file = dir.resolve(name);
        if (backing == null) {
            RealQemuImg.run("create", "-q", "-f", "qcow2", file.toString(), "16M");
        } else {
            RealQemuImg.run("create", "-q", "-f", "qcow2", "-b", backing.toString(), "-F", "qcow2", file.toString());
        }
        return file;
    }
}

package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageException;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link ImageValidator#check} hands out, and how it notices the file changing under it. */
class ValidatedImageTest {
    @TempDir
    Path dir;

    private final ImageValidator defaults = ImageValidator.of(ImagePolicy.defaults());

    private Path qcow2(String name) throws Exception {
        return InspectorHarness.qemuImg(dir, name, "create", "-q", "-f", "qcow2", "{}", "64M");
    }

    @Test
    void onlyTheValidatorCreatesOne() {
        Constructor<?>[] constructors = ValidatedImage.class.getDeclaredConstructors();

        assertThat(constructors).isNotEmpty();
        assertThat(Arrays.stream(constructors).map(Constructor::getModifiers))
                .noneMatch(Modifier::isPublic)
                .noneMatch(Modifier::isProtected);
        assertThat(Modifier.isFinal(ValidatedImage.class.getModifiers())).isTrue();
    }

    @Test
    void anAcceptedImageGivesAValidatedImageWhoseFieldsMatchTheReport() throws Exception {
        Path image = qcow2("disk.qcow2");
        BasicFileAttributes attributes = Files.readAttributes(image, BasicFileAttributes.class);

        ValidatedImage validated = defaults.check(image, DiskFormat.QCOW2);

        assertThat(validated.path()).isEqualTo(image);
        assertThat(validated.format()).isEqualTo(DiskFormat.QCOW2);
        assertThat(validated.virtualSize()).isEqualTo(64L << 20);
        assertThat(validated.report().accepted()).isTrue();
        assertThat(validated.report().detectedFormat()).contains(validated.format());
        assertThat(validated.report().virtualSize()).hasValue(validated.virtualSize());
        assertThat(validated.report().declaredFormat()).contains(DiskFormat.QCOW2);
        assertThat(validated.size()).isEqualTo(attributes.size());
        assertThat(validated.lastModified()).isEqualTo(attributes.lastModifiedTime());
        assertThat(validated.fileKey()).contains(attributes.fileKey());
        assertThat(validated).hasToString("ValidatedImage[" + image + ", qcow2, 67108864 bytes]");
    }

    @Test
    void withoutADeclaredFormatWhateverTheImageIsMustBeAcceptable() throws Exception {
        Path raw = Files.write(dir.resolve("disk.raw"), new byte[4096]);

        ValidatedImage validated = defaults.check(raw);

        assertThat(validated.format()).isEqualTo(DiskFormat.RAW);
        assertThat(validated.virtualSize()).isEqualTo(4096);
        assertThat(validated.report().declaredFormat()).isEmpty();
    }

    @Test
    void aRefusedImageThrowsWithItsFindingsInsteadOfGivingOne() throws Exception {
        Path image = qcow2("disk.qcow2");

        assertThatThrownBy(() -> defaults.check(image, DiskFormat.VMDK))
                .isInstanceOfSatisfying(ImageUnacceptableException.class, e -> assertThat(e.findings())
                        .extracting(Finding::code).containsExactly(FindingCode.FORMAT_MISMATCH));
        assertThatThrownBy(() -> defaults.check(dir.resolve("missing")))
                .isInstanceOfSatisfying(ImageUnacceptableException.class, e -> assertThat(e.findings())
                        .extracting(Finding::code).containsExactly(FindingCode.UNREADABLE));
    }

    @Test
    void anUnchangedFileStaysValid() throws Exception {
        ValidatedImage validated = defaults.check(qcow2("disk.qcow2"), DiskFormat.QCOW2);

        assertThat(validated.requireUnchanged()).isSameAs(validated);
    }

    @Test
    void requireUnchangedNoticesAnAppendedByte() throws Exception {
        Path image = qcow2("disk.qcow2");
        ValidatedImage validated = defaults.check(image, DiskFormat.QCOW2);
        FileTime before = Files.getLastModifiedTime(image);

        Files.write(image, new byte[1], StandardOpenOption.APPEND);
        Files.setLastModifiedTime(image, before);

        assertThatThrownBy(validated::requireUnchanged)
                .isInstanceOfSatisfying(ImageChangedException.class, e -> assertThat(e.image()).isEqualTo(image))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("changed size from " + validated.size() + " to " + (validated.size() + 1));
    }

    @Test
    void requireUnchangedNoticesATouchedModificationTime() throws Exception {
        Path image = qcow2("disk.qcow2");
        ValidatedImage validated = defaults.check(image, DiskFormat.QCOW2);

        Files.setLastModifiedTime(image, FileTime.fromMillis(validated.lastModified().toMillis() + 1000));

        assertThatThrownBy(validated::requireUnchanged).isInstanceOf(ImageChangedException.class)
                .hasMessageContaining("was modified");
    }

    @Test
    void requireUnchangedNoticesAFileRenamedOverItEvenWithTheSameSizeAndTime() throws Exception {
        Path image = qcow2("disk.qcow2");
        ValidatedImage validated = defaults.check(image, DiskFormat.QCOW2);
        Path impostor = Files.copy(image, dir.resolve("impostor"));
        Files.setLastModifiedTime(impostor, validated.lastModified());

        Files.move(impostor, image, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        assertThat(Files.size(image)).isEqualTo(validated.size());
        assertThatThrownBy(validated::requireUnchanged).isInstanceOf(ImageChangedException.class)
                .hasMessage("image " + image + " was replaced by another file since it was validated");
    }

    @Test
    void requireUnchangedNoticesARemovedFile() throws Exception {
        Path image = qcow2("disk.qcow2");
        ValidatedImage validated = defaults.check(image, DiskFormat.QCOW2);

        Files.delete(image);

        assertThatThrownBy(validated::requireUnchanged).isInstanceOf(ImageChangedException.class)
                .hasMessageContaining("can no longer be read");
    }

    @Test
    void aReportThatRefusedCannotBecomeAValidatedImage() throws IOException {
        Path image = Files.write(dir.resolve("disk.raw"), new byte[512]);
        ValidationReport refused = ImageValidator.of(ImagePolicy.defaults().withMinVirtualSize(1024)).validate(image);
        FileIdentity identity = FileIdentity.read(image);

        assertThatThrownBy(() -> new ValidatedImage(image, refused, identity))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

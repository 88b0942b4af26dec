package dev.diskimage.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageException;
import dev.diskimage.validation.ImagePolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyFileTest {
    @TempDir
    Path dir;

    private Path file(String json) throws IOException {
        return Files.writeString(dir.resolve("policy.json"), json);
    }

    @Test
    void appliesEveryKeyOverTheDefaults() throws IOException {
        ImagePolicy policy = PolicyFile.read(file("""
                {"allowed_formats": ["qcow2", "vhd"], "vmdk_allowed_types": ["streamOptimized"],
                 "allow_backing_files": true, "max_virtual_size": "2GiB", "min_virtual_size": 512,
                 "qemu_cross_check": true, "read_budget": "4MiB"}"""));

        assertThat(policy.allowedFormats()).containsExactlyInAnyOrder(DiskFormat.QCOW2, DiskFormat.VPC);
        assertThat(policy.vmdkAllowedTypes()).containsExactly("streamOptimized");
        assertThat(policy.allowBackingFiles()).isTrue();
        assertThat(policy.maxVirtualSize()).isEqualTo(2L << 30);
        assertThat(policy.minVirtualSize()).isEqualTo(512);
        assertThat(policy.qemuCrossCheck()).isTrue();
        assertThat(policy.readBudget()).isEqualTo(4L << 20);
    }

    @Test
    void anEmptyObjectIsTheDefaultPolicy() throws IOException {
        assertThat(PolicyFile.read(file("{}"))).isEqualTo(ImagePolicy.defaults());
    }

    @Test
    void valuesOfTheWrongTypeNameTheKeyAndWhatItMustHold() throws IOException {
        assertRefused("{\"allow_backing_files\": \"yes\"}", "'allow_backing_files' must be true or false");
        assertRefused("{\"allow_backing_files\": null}", "'allow_backing_files' must be true or false");
        assertRefused("{\"qemu_cross_check\": 1}", "'qemu_cross_check' must be true or false");
        assertRefused("{\"max_virtual_size\": -1}", "'max_virtual_size': must be a non-negative number of bytes");
        assertRefused("{\"max_virtual_size\": 1.5}", "'max_virtual_size': must be a non-negative number of bytes");
        assertRefused("{\"max_virtual_size\": 99999999999999999999}", "'max_virtual_size': must be a non-negative");
        assertRefused("{\"read_budget\": \"lots\"}", "'read_budget': ");
        assertRefused("{\"allowed_formats\": \"qcow2\"}", "'allowed_formats' must be an array of format names");
        assertRefused("{\"allowed_formats\": [\"qcow2\", null]}", "'allowed_formats' must be an array");
        assertRefused("{\"allowed_formats\": [\"qcow3\"]}", "'allowed_formats': ", "qcow2");
        assertRefused("{\"vmdk_allowed_types\": [1]}", "'vmdk_allowed_types' must be an array of VMDK createTypes");
        assertRefused("[]", "must hold a JSON object");
        assertRefused("\"policy\"", "must hold a JSON object");
        assertRefused("", "must hold a JSON object");
    }

    @Test
    void contradictionsAndTyposAreRefusedInTheFilesVocabulary() throws IOException {
        assertRefused("{\"min_virtual_size\": 10, \"max_virtual_size\": 5}", "min_virtual_size", "max_virtual_size");
        assertRefused("{\"read_budget\": 100}", "read_budget");
        assertRefused("{\"allow_backing_file\": true}", "unknown key 'allow_backing_file'", "allow_backing_files");
        assertRefused("{\"a\": 1, \"a\": 1}", "not valid JSON", "Duplicate field 'a'");
    }

    @Test
    void unreadableAndOversizedFilesAreTypedErrors() throws IOException {
        assertThatThrownBy(() -> PolicyFile.read(dir.resolve("missing.json")))
                .isInstanceOf(ImageException.class).hasMessageContaining("missing.json").hasMessageContaining("no such file");
        Path big = Files.writeString(dir.resolve("big.json"), "{\"read_budget\": " + " ".repeat(1 << 20) + "1}");
        assertThatThrownBy(() -> PolicyFile.read(big)).isInstanceOf(PolicyFileException.class)
                .hasMessageContaining("larger than 1 MiB");
        assertThatThrownBy(() -> PolicyFile.read(dir)).isInstanceOf(PolicyFileException.class)
                .hasMessageContaining("cannot be read");
    }

    @Test
    void documentedKeysAreExactlyTheSchemasKeys() {
        assertThat(PolicySettings.KEYS).hasSameSizeAs(PolicySettings.class.getRecordComponents());
        for (var component : PolicySettings.class.getRecordComponents()) {
            String snake = component.getName().replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT);
            assertThat(PolicySettings.KEYS).contains(snake);
        }
        assertThat(Set.copyOf(PolicySettings.KEYS)).hasSize(PolicySettings.KEYS.size());
    }

    private void assertRefused(String json, String... fragments) throws IOException {
        Path policy = file(json);
        assertThatThrownBy(() -> PolicyFile.read(policy)).as(json).isInstanceOf(PolicyFileException.class)
                .hasMessageStartingWith("policy file " + policy + ": ")
                .hasMessageContainingAll(fragments)
                .hasMessageNotContainingAny("com.fasterxml", "REDACTED", "Exception", "dev.diskimage");
    }
}

package dev.diskimage.conversion.vhd;

import static dev.diskimage.conversion.vhd.VhdChainImages.KIB;
import static dev.diskimage.conversion.vhd.VhdChainImages.MIB;
import static dev.diskimage.conversion.vhd.VhdChainImages.assertAcceptedByTheValidatorAndQemu;
import static dev.diskimage.conversion.vhd.VhdChainImages.assertQemuReads;
import static dev.diskimage.conversion.vhd.VhdChainImages.chain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VhdXenServerTest {

    @TempDir
    Path dir;

    @Test
    void replacesAXenServerArchiveByItsCoalescedChain() throws Exception {
        Path staging = Files.createDirectories(dir.resolve("staging"));
        var built = chain(staging, 512 * KIB, 30, 3 * MIB, 3 * MIB, 3 * MIB);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < built.files().size(); i++) {
            Files.move(built.files().get(i), staging.resolve(i + ".vhd"));
            names.add(i + ".vhd");
        }
        Path images = Files.createDirectories(dir.resolve("images"));
        Path archive = tar(images.resolve("image.tgz"), staging, names);

        VhdChain.replaceXenServerImageWithCoalescedVhd(archive, ImageValidator.of(ImagePolicy.defaults()));

        assertQemuReads(archive, built.expected());
        assertAcceptedByTheValidatorAndQemu(archive, 3L * MIB);
        assertThat(listing(images)).containsExactly(archive);
    }

    @Test
    void refusesAnArchiveWithoutAChainAndLeavesItAsItWas() throws Exception {
        Path staging = Files.createDirectories(dir.resolve("staging"));
        Files.writeString(staging.resolve("readme.txt"), "no disks here");
        Path images = Files.createDirectories(dir.resolve("images"));
        Path archive = tar(images.resolve("image.tgz"), staging, List.of("readme.txt"));
        byte[] before = Files.readAllBytes(archive);

        assertThatThrownBy(() -> VhdChain.replaceXenServerImageWithCoalescedVhd(archive,
                ImageValidator.of(ImagePolicy.defaults()))).isInstanceOf(VhdChainException.class)
                .hasMessageContaining("0.vhd");

        assertThat(Files.readAllBytes(archive)).isEqualTo(before);
        assertThat(listing(images)).containsExactly(archive);
    }

    static Path tar(Path archive, Path from, List<String> names) throws Exception {
        List<String> command = new ArrayList<>(List.of("tar", "czf", archive.toString(), "-C", from.toString()));
        command.addAll(names);
        VhdTestImages.run(command.toArray(String[]::new));
        return archive;
    }

    private static List<Path> listing(Path directory) throws Exception {
        try (Stream<Path> listed = Files.list(directory)) {
            return listed.toList();
        }
    }
}

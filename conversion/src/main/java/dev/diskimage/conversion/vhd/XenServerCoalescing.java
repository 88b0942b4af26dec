package dev.diskimage.conversion.vhd;

import dev.diskimage.conversion.archive.TarGzExtractor;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageIoException;
import dev.diskimage.validation.ImageValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.apache.commons.io.file.PathUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link VhdChain#replaceXenServerImageWithCoalescedVhd} and {@link VhdChain#unpackXenServerImage}:
 * extract into a temporary directory beside the output, discover, fix, coalesce, validate, move.
 */
final class XenServerCoalescing {
    private static final Logger LOG = LoggerFactory.getLogger(XenServerCoalescing.class);
    /** The format the result must pass validation as: qemu's name for VHD. */
    private static final String VPC = "vpc";

    private XenServerCoalescing() {
    }

    /**
     * Extracts {@code archive}, coalesces its chain and moves the validated result to {@code output}:
     * over it when {@code replace}, else only if it does not exist (then it is refused).
     */
    static void unpack(Path archive, Path output, ImageValidator validator, boolean replace) {
        if (!replace && Files.exists(output, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new VhdException(output, "already exists", null);
        }
        Path directory = output.toAbsolutePath().getParent();
        Path work;
        try {
            work = Files.createTempDirectory(directory, "." + output.getFileName() + ".xenserver.");
        } catch (IOException e) {
            throw new ImageIoException("could not create a temporary directory beside", output, e);
        }
        try {
            Path extracted = work.resolve("chain");
            TarGzExtractor.extractTarGz(archive, extracted);
            List<Path> chain = VhdChain.discover(extracted);
            if (chain.isEmpty()) {
                throw new VhdChainException(archive, VhdChainException.Reason.NOT_A_CHAIN,
                        "holds no 0.vhd: it is not a XenServer image archive");
            }
            VhdChain.fixChain(chain);
            Path coalesced = VhdChain.coalesceChain(chain.get(0));
            validator.check(coalesced, DiskFormat.fromName(VPC));
            if (replace) {
                Files.move(coalesced, output, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                // A hard link is atomic and never replaces an output that appeared meanwhile.
                Files.createLink(output, coalesced);
            }
            ParentRewrite.syncDirectory(directory);
            LOG.debug("unpacked XenServer archive {} into {}: a chain of {} VHD files", archive, output, chain.size());
        } catch (IOException e) {
            throw new ImageIoException("could not unpack the XenServer archive into", output, e);
        } finally {
            try {
                PathUtils.deleteDirectory(work);
            } catch (IOException e) {
                LOG.warn("could not delete the temporary directory {}: {}", work, e.toString());
            }
        }
    }
}

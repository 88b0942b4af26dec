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

/** {@link VhdChain#replaceXenServerImageWithCoalescedVhd}: extract, fix, coalesce, validate, replace. */
final class XenServerCoalescing {
    private static final Logger LOG = LoggerFactory.getLogger(XenServerCoalescing.class);
    /** The format the result must pass validation as: qemu's name for VHD. */
    private static final String VPC = "vpc";

    private XenServerCoalescing() {
    }

    static void replace(Path file, ImageValidator validator) {
        Path directory = file.toAbsolutePath().getParent();
        Path work;
        try {
            work = Files.createTempDirectory(directory, "." + file.getFileName() + ".xenserver.");
        } catch (IOException e) {
            throw new ImageIoException("could not create a temporary directory beside", file, e);
        }
        try {
            Path extracted = work.resolve("chain");
            TarGzExtractor.extractTarGz(file, extracted);
            List<Path> chain = VhdChain.discover(extracted);
            if (chain.isEmpty()) {
                throw new VhdChainException(file, VhdChainException.Reason.NOT_A_CHAIN,
                        "holds no 0.vhd: it is not a XenServer image archive");
            }
            VhdChain.fixChain(chain);
            Path coalesced = VhdChain.coalesceChain(chain.get(0));
            validator.check(coalesced, DiskFormat.fromName(VPC));
            Files.move(coalesced, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            ParentRewrite.syncDirectory(directory);
            LOG.debug("replaced XenServer archive {} by its coalesced chain of {} VHD files", file, chain.size());
        } catch (IOException e) {
            throw new ImageIoException("could not replace the XenServer archive", file, e);
        } finally {
            try {
                PathUtils.deleteDirectory(work);
            } catch (IOException e) {
                LOG.warn("could not delete the temporary directory {}: {}", work, e.toString());
            }
        }
    }
}

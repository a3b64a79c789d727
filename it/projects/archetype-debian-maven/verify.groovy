// Debian's Maven ran both builds, and the package and the image came out as under the wrapper's Maven.
import java.nio.file.*

String log = new File(basedir, 'build.log').text
assert log =~ /Apache Maven 3\.8\.\d+/ : 'the build did not run under Debian\'s Maven 3.8'
File debian = new File(basedir, 'debian')
assert new File(debian, 'target/debian-1.0.0-1-x86_64.pkg.tar.zst').isFile() : "no package: ${new File(debian, 'target').list()}"
assert new File(debian, 'target/debian-1.0.0-SNAPSHOT-image.tar').isFile()
assert new File(debian, 'target/archcore/image.digest').text.trim() ==~ /sha256:[0-9a-f]{64}/
return true

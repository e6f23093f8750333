cmd_Release/kiln.node := ln -f "Release/obj.target/kiln.node" "Release/kiln.node" 2>/dev/null || (rm -rf "Release/kiln.node" && cp -af "Release/obj.target/kiln.node" "Release/kiln.node")

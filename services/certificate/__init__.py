"""证书服务 certificate: numbering, signed PDFs, verification, revocation (issue 6; not built yet)."""

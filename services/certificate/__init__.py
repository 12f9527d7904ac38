"""证书服务 certificate: numbering, signed PDFs in object storage, verification, revocation (docs/certificate.md)."""

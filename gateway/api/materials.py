"""Evidence PDFs over JSON: upload (checked, stored, then attached), download as an attachment, detach.
How each is done is gateway/compose/materials.py, shared with the pages."""
from ..compose import materials
from ..compose.dossiers import visible_dossier
from ..web import created, ok
from .base import ApiBase
from .http import http


class MaterialRoutes(ApiBase):
    @http("POST", "/api/v1/dossiers/<dossier_id>/materials")
    def upload_material(self, request, dossier_id):
        actor, _ = self.applicant_actor(request, dossier_id)
        limit = self.settings["UPLOADS"]["MAX_BYTES"]
        materials.refuse_oversized(request, limit, drain=True)
        return created(materials.store_material(self.evidence, self.dossier, actor, dossier_id,
                                                request.form.get("category", ""), request.files.get("file"), limit,
                                                year=request.form.get("year", ""),
                                                achievement_id=request.form.get("achievement_id", "")))

    @http("GET", "/api/v1/dossiers/<dossier_id>/required-materials")
    def required_materials(self, request, dossier_id):
        """The materials checklist (必备材料清单) for the dossier's series and level: each requirement,
        its slots (per year, per achievement) with the files against each, what is missing, duplicates."""
        actor, _ = self.applicant_actor(request, dossier_id)
        return ok(self.dossier.required_materials(actor.to_dict(), dossier_id))

    @http("GET", "/api/v1/dossiers/<dossier_id>/materials/<material_id>")
    def download_material(self, request, dossier_id, material_id):
        """The PDF as an attachment, to those who may see the dossier."""
        dossier = visible_dossier(self.dossier, self.principal(request), dossier_id)
        return materials.material_file(self.evidence, dossier, material_id, inline=False)

    @http("DELETE", "/api/v1/dossiers/<dossier_id>/materials/<material_id>")
    def detach_material(self, request, dossier_id, material_id):
        actor, dossier = self.applicant_actor(request, dossier_id)
        return ok(materials.detach_material(self.dossier, actor, dossier, material_id))

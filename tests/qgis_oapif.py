"""Run by Debian's /usr/bin/python3 (where python3-qgis lives), not the project's venv.

Opens an OGC API Features collection with QGIS's own "oapif" provider under an authentication
configuration (HTTP Basic, stored in a throwaway auth database), reads every feature, and prints
what it saw as one JSON line. Arguments: base URL, collection, user name, password, page size.
"""

import json
import os
import sys

from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsVectorLayer


def main() -> None:
    base, collection, username, password, page_size = sys.argv[1:6]
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    auth = QgsApplication.authManager()
    auth.setMasterPassword(os.environ["GRIDMAP_QGIS_MASTER"], True)
    config = QgsAuthMethodConfig()
    config.setName("gridmap")
    config.setMethod("Basic")
    config.setConfig("username", username)
    config.setConfig("password", password)
    stored = auth.storeAuthenticationConfig(config)
    stored = stored[0] if isinstance(stored, tuple) else stored
    uri = (
        f"url={base} typename={collection} authcfg={config.id()} "
        f"pagingEnabled='true' pageSize={page_size} restrictToRequestBBOX='0'"
    )
    layer = QgsVectorLayer(uri, "gridmap", "oapif")
    out = {"stored": bool(stored), "valid": layer.isValid()}
    if layer.isValid():
        features = list(layer.getFeatures())
        fields = [f.name() for f in layer.fields()]
        first = features[0] if features else None
        out |= {
            "feature_count": layer.featureCount(),
            "read": len(features),
            "fields": fields,
            "codes": [str(f["code"]) for f in features] if "code" in fields else [],
            "first": {name: str(first[name]) for name in fields} if first else None,
            "first_area": first.geometry().area() if first else None,
            "crs": layer.crs().authid(),
        }
    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    # QGIS 3.22 may crash in exitQgis() of a standalone script (after the work is done): the
    # answer is out, so leave without the teardown.
    os._exit(0)


if __name__ == "__main__":
    main()

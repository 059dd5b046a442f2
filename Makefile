# Deux commandes pour un poste neuf : `make demo` (traitement d'exemple) et `make test` (tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SORTIE ?= sortie
#: password of the demonstration accounts of the workspace (make demo): demonstration only
DEMO_MDP ?= demonstration-seulement

.PHONY: installer demo test bench bench-demarrage bench-explication bench-service clean

installer: $(VENV)/.installe

$(VENV)/.installe: pyproject.toml contraintes.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c contraintes.txt -e '.[dev]'
	touch $@

demo: installer
	@mkdir -p $(SORTIE)
	$(BIN)/orientation regles verifier rules/
	$(BIN)/orientation recommander examples/dossiers/primo_demandeuse_sans_abri.json --modele demo
	$(BIN)/orientation expliquer examples/dossiers/recurrent_profil_emploi.json --format texte --modele demo
	$(BIN)/orientation lot examples/flux_exemple.csv --departement 93 --sortie $(SORTIE)/decisions.csv --explications $(SORTIE)/explications.jsonl --modele demo --ecraser
	$(BIN)/orientation lot examples/flux_cnaf_exemple.xml --departement 93 --sortie $(SORTIE)/decisions_xml.csv --explications $(SORTIE)/explications_xml.jsonl --modele demo --ecraser
	$(BIN)/orientation indicateurs --depuis examples/evenements_exemple.csv --periode 2025-01:2025-12 --sortie $(SORTIE)/indicateurs.html --csv $(SORTIE)/indicateurs.csv
	@# espace référent de démonstration : base neuve, flux d'exemple importé, compte de démonstration
	rm -f $(SORTIE)/espace-demo.sqlite3 $(SORTIE)/espace-demo.sqlite3-wal $(SORTIE)/espace-demo.sqlite3-shm
	$(BIN)/orientation base migrer --base sqlite:///$(SORTIE)/espace-demo.sqlite3
	$(BIN)/orientation importer examples/flux_exemple.csv --departement 93 --modele demo --silencieux --base sqlite:///$(SORTIE)/espace-demo.sqlite3
	$(BIN)/orientation suivis importer examples/suivis_exemple.csv --departement 93 --base sqlite:///$(SORTIE)/espace-demo.sqlite3
	@echo "$(DEMO_MDP)" | $(BIN)/orientation utilisateurs ajouter --courriel demo.referente@exemple.invalid --role referent --departement 93 --habilite-validation --mot-de-passe-stdin --base sqlite:///$(SORTIE)/espace-demo.sqlite3
	@echo "$(DEMO_MDP)" | $(BIN)/orientation utilisateurs ajouter --courriel demo.analyste@exemple.invalid --role analyste --departement 93 --mot-de-passe-stdin --base sqlite:///$(SORTIE)/espace-demo.sqlite3
	@echo ""
	@echo "Espace référent de DÉMONSTRATION (dossiers SYNTHÉTIQUES, modèle de démonstration) :"
	@echo "  $(BIN)/orientation servir --base sqlite:///$(SORTIE)/espace-demo.sqlite3 --modele demo"
	@echo "  puis ouvrir http://127.0.0.1:8000/espace/"
	@echo "  compte de démonstration (ne jamais l'utiliser ailleurs) : demo.referente@exemple.invalid (référente)"
	@echo "  ou demo.analyste@exemple.invalid (analyste), mot de passe « $(DEMO_MDP) »"

test: installer
	$(BIN)/python -m pytest

bench: installer
	$(BIN)/python benchmarks/bench_lot.py

bench-demarrage: installer
	$(BIN)/python benchmarks/bench_demarrage.py

bench-explication: installer
	$(BIN)/python benchmarks/bench_explication.py

bench-service: installer
	$(BIN)/python benchmarks/bench_service.py

clean:
	rm -rf $(VENV) $(SORTIE) .pytest_cache .hypothesis orientation.sqlite3* orientation-lots

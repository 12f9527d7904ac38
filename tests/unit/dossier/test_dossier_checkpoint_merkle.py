"""The checkpoint's Merkle tree is RFC 6962/9162's: its roots and audit paths match the published test
vectors, and a proof proves one leaf at one place. (A path alone does not fix the tree size — the
checkpoint signs ``tree_size`` and the verifier compares the proof's with it.)"""
import hashlib

import pytest

from services.dossier.checkpoints_merkle import inclusion_path, leaf, leaf_hash, root, root_from_path

# RFC 6962 test leaves (certificate-transparency's merkle tree tests) and the roots of their prefixes.
VECTOR_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
VECTOR_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
HASHES = [hashlib.sha256(b"\x00" + bytes.fromhex(data)).digest() for data in VECTOR_LEAVES]


@pytest.mark.parametrize("size", range(1, 9))
def test_the_roots_are_those_of_the_rfc_test_vectors(size):
    assert root(HASHES[:size]).hex() == VECTOR_ROOTS[size - 1]


def test_the_audit_path_of_the_first_of_eight_leaves_is_the_rfcs():
    assert [node.hex() for node in inclusion_path(HASHES, 0)] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 13, 32, 33])
def test_every_leaf_is_proven_at_its_index_and_nowhere_else(size):
    hashes = [leaf_hash(leaf(f"d-{number}", number + 1, f"{number:064x}")) for number in range(size)]
    expected = root(hashes)
    for index in range(size):
        path = inclusion_path(hashes, index)
        assert root_from_path(hashes[index], index, size, path) == expected
        if size > 1:
            assert root_from_path(hashes[index], (index + 1) % size, size, path) != expected
            assert root_from_path(hashes[(index + 1) % size], index, size, path) != expected
        if path:
            assert root_from_path(hashes[index], index, size, [b"\x00" * 32, *path[1:]]) != expected
        assert root_from_path(hashes[index], index, size, [*path, b"\x00" * 32]) is None  # too long a path


def test_a_leaf_is_its_dossier_version_and_head_in_canonical_json():
    assert leaf("d-1", "3", "ab") == {"dossier_id": "d-1", "version": 3, "head_hash": "ab"}
    assert leaf_hash(leaf("d-1", 3, "ab")) == hashlib.sha256(
        b'\x00{"dossier_id":"d-1","head_hash":"ab","version":3}').digest()
    assert root_from_path(leaf_hash(leaf("d-1", 3, "ab")), 1, 1, []) is None  # index outside the tree

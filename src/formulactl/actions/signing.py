"""Who signs here: this repository's signing key, and the team member it belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from formulactl.audit.receipts import NOTES_REF
from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.model.sshkeys import key_text, public_key_of, read_public_key
from formulactl.model.team import Person
from formulactl.store.cache import replace_file
from formulactl.store.store import Store

NOTES_FETCH = "+refs/notes/formulactl-*:refs/notes/formulactl-*"


@dataclass(frozen=True)
class Signer:
    key: str  # `ssh-ed25519 AAAA…`
    person: Person | None


def configured_key(store: Store) -> str | None:
    """The public key of this repository's `user.signingkey`, if signing is set up."""
    value = gitio.config_get(store.root, "user.signingkey")
    if not value:
        return None
    if value.startswith("key::"):
        return key_text(value[5:])
    if value.startswith(("ssh-", "ecdsa-")):
        return key_text(value)
    path = Path(value).expanduser()
    if path.name.endswith(".pub"):
        return read_public_key(path)
    check_key_mode(path)
    return public_key_of(path)


def check_key_mode(private_key: Path) -> None:
    """ssh refuses to sign with a private key others can open, and says so only in a banner
    of @ signs; say it in one line before git is asked to sign."""
    try:
        mode = private_key.stat().st_mode & 0o777
    except OSError:
        return  # a missing key is reported where it is read
    if mode & 0o077:
        opened = "readable" if mode & 0o044 else "writable"
        raise FormulaError(
            f"{private_key} is {opened} by others (mode {mode:o})",
            f"chmod 600 {private_key}",
            rule="key-mode",
        )


def current_signer(store: Store) -> Signer | None:
    key = configured_key(store)
    if key is None:
        return None
    found = store.team.signer(key)
    return Signer(key, found[0] if found else None)


def configure_drivers(store: Store, command: str) -> None:
    """`git diff` shows records through `formulactl textconv` (decrypted for key holders),
    `git merge` merges them field by field, and receive-time notes come with every fetch."""
    gitio.config_set(store.root, "diff.formulactl.textconv", f"{command} textconv")
    gitio.config_set(store.root, "merge.formulactl.name", "formulactl record merge")
    gitio.config_set(store.root, "merge.formulactl.driver", f"{command} merge-driver %O %A %B %P")
    if gitio.config_get(store.root, "remote.origin.url"):
        # A pattern, not NOTES_REF itself: a remote without receive notes (GitHub, GitLab,
        # any plain bare repository) then gives nothing instead of failing every fetch.
        gitio.config_unset_value(store.root, "remote.origin.fetch", f"+{NOTES_REF}:{NOTES_REF}")
        gitio.config_add(store.root, "remote.origin.fetch", NOTES_FETCH)


def setup_signing(store: Store, private_key: Path, command: str) -> Signer:
    """Sign every commit in this repository with `private_key`, and let git call back into
    formulactl (`command`) for diffs and merges of records; global config is untouched."""
    private_key = private_key.expanduser().resolve()
    key = public_key_of(private_key)
    check_key_mode(private_key)
    settings = {
        "gpg.format": "ssh",
        "user.signingkey": str(private_key),
        "commit.gpgsign": "true",
    }
    for name, value in settings.items():
        gitio.config_set(store.root, name, value)
    # Earlier versions set tag.gpgsign, which makes a plain `git tag NAME` open an editor;
    # formulactl signs what it makes itself and leaves the person's own tags alone.
    gitio.config_unset_value(store.root, "tag.gpgsign", "true")
    write_allowed_signers(store)
    configure_drivers(store, command)
    found = store.team.signer(key)
    if found:
        setup_identity(store, found[0].name, found[0].email)
    return Signer(key, found[0] if found else None)


def setup_identity(store: Store, name: str, email: str) -> None:
    """Commits here carry the team file's name and email for the signing person."""
    gitio.config_set(store.root, "user.name", name)
    gitio.config_set(store.root, "user.email", email)


def actor(store: Store) -> Person | None:
    """The person acting here: the owner of the signing key, or (unsigned stores only) the
    team member with this repository's `user.email`."""
    signer = current_signer(store)
    if signer is not None:
        return signer.person
    if store.settings.allow_unsigned:
        email = gitio.config_get(store.root, "user.email")
        return next((p for p in store.team.people.values() if p.email == email), None)
    raise FormulaError(
        "signing is not set up in this repository",
        "run `formulactl setup-signing --key ~/.ssh/id_ed25519`",
        rule="no-signing",
    )


def write_allowed_signers(store: Store) -> None:
    """Let `git log --show-signature` name team members too (formulactl never relies on it)."""
    lines = []
    for person in store.team.people.values():
        for key in person.keys:
            options = 'namespaces="git"'
            if key.valid_from:
                options += f',valid-after="{key.valid_from.replace("-", "")}"'
            if key.valid_until:
                options += f',valid-before="{key.valid_until.replace("-", "")}"'
            lines.append(f"{person.email} {options} {key.key}\n")
    path = store.cache_dir / "allowed_signers"
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path.parent, path.name, "".join(lines).encode("utf-8"))  # never through a link
    gitio.config_set(store.root, "gpg.ssh.allowedSignersFile", str(path))

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";

/**
 * @title EvidenceAnchor
 * @notice Anchors the checkpoints of append-only RFC 9162 Merkle logs, one log per writer.
 *
 * Every account holding {WRITER_ROLE} owns exactly one log, identified by its address. The
 * contract stores every checkpoint (tree size, root hash, block number, timestamp) that the
 * writer anchors, and refuses a checkpoint that does not extend the previous one: after the
 * first checkpoint, each new one must carry an RFC 9162 §2.1.4 consistency proof from the
 * last anchored (size, root), checked here with the SHA-256 precompile. A log anchored through
 * this contract therefore only ever grows, and a court can check any inclusion proof against
 * the contract's own verifier ({verifyInclusion}).
 *
 * Roles come from OpenZeppelin's {AccessControlDefaultAdminRules}: a single default admin,
 * transferred in two steps with a delay, grants and revokes {WRITER_ROLE}; every change is a
 * `RoleGranted`/`RoleRevoked` event. The admin cannot anchor unless it also holds the writer
 * role.
 *
 * The admin also keeps the registry of agencies, the firms whose signing keys may submit
 * records: {registerAgency} gives an address {AGENCY_ROLE} together with the agency's
 * 18-character Unified Social Credit Code, {revokeAgency} takes both away. A verifier asks
 * {agencyCreditCode} at a block (an `eth_call` at that block) whether a signer was registered,
 * and for which agency, at that time.
 *
 * Tree conventions (RFC 9162 §2.1, SHA-256): leaf hash `SHA-256(0x00 || leaf)`, interior node
 * `SHA-256(0x01 || left || right)`. The contract only ever sees leaf hashes and node hashes.
 */
contract EvidenceAnchor is AccessControlDefaultAdminRules {
    /// @notice One anchored checkpoint of a writer's log.
    /// @dev Packed into two storage slots: `size`, `blockNumber`, `timestamp` share the first
    /// (low-order bits first), `root` fills the second. docs/CONTRACT.md gives the slot formula.
    struct Checkpoint {
        uint64 size;
        uint64 blockNumber;
        uint64 timestamp;
        bytes32 root;
    }

    /// @custom:storage-location erc7201:evanchor.storage.EvidenceAnchor
    struct EvidenceAnchorStorage {
        mapping(address writer => Checkpoint[]) logs;
        mapping(address agency => string creditCode) agencyCodes;
    }

    /// @notice The role an account needs to anchor checkpoints of its own log.
    bytes32 public constant WRITER_ROLE = keccak256("WRITER_ROLE");

    /// @notice The role of a registered agency's signing address; given and taken only with
    /// the agency's credit code, by {registerAgency} and {revokeAgency}.
    bytes32 public constant AGENCY_ROLE = keccak256("AGENCY_ROLE");

    /// @dev Length in bytes of a Unified Social Credit Code (GB 32100-2015), ASCII.
    uint256 private constant _CREDIT_CODE_LENGTH = 18;

    // keccak256(abi.encode(uint256(keccak256("evanchor.storage.EvidenceAnchor")) - 1))
    //     & ~bytes32(uint256(0xff))   (ERC-7201)
    bytes32 private constant _STORAGE_LOCATION =
        0x5c1b90890156b11427b217be7fb4df04b5fbf2790cab9b9284dd6f82ec7ff700;

    /// @notice `writer` anchored checkpoint number `index` of its log: tree `size`, `root`.
    event CheckpointAnchored(address indexed writer, uint256 indexed index, uint64 size, bytes32 root);

    /// @notice `agency` is registered as the agency with Unified Social Credit Code
    /// `creditCode` (again, if it was registered before).
    event AgencyRegistered(address indexed agency, string creditCode);

    /// @notice `agency` is no longer a registered agency.
    event AgencyRevoked(address indexed agency);

    /// @dev The first checkpoint of a log must cover at least one leaf.
    error EvidenceAnchorEmptyCheckpoint(address writer);

    /// @dev The first checkpoint of a log has nothing to be consistent with, so takes no proof.
    error EvidenceAnchorUnexpectedProof(address writer, uint256 proofLength);

    /// @dev A new checkpoint must cover strictly more leaves than the last one.
    error EvidenceAnchorSizeNotIncreasing(address writer, uint64 lastSize, uint64 size);

    /// @dev The consistency proof does not show that (`size`, `root`) extends (`lastSize`,
    /// `lastRoot`).
    error EvidenceAnchorInconsistentCheckpoint(
        address writer, uint64 lastSize, bytes32 lastRoot, uint64 size, bytes32 root
    );

    /// @dev `writer` has anchored no checkpoint yet.
    error EvidenceAnchorNoCheckpoint(address writer);

    /// @dev `writer` has only `count` checkpoints, so there is none at `index`.
    error EvidenceAnchorCheckpointOutOfRange(address writer, uint256 index, uint256 count);

    // The agency registry's errors carry no address: every address argument adds a copy of
    // the 160-bit mask to the code, and past about 46 copies the optimizer computes the mask
    // instead of pushing it, which costs `anchor` 24 gas more (docs/CONTRACT.md, Gas).

    /// @dev A credit code is exactly 18 bytes; the one given has `length`.
    error EvidenceAnchorInvalidCreditCode(uint256 length);

    /// @dev The zero address cannot be an agency: failed signature recovery returns it.
    error EvidenceAnchorZeroAgency();

    /// @dev `agency` does not hold {AGENCY_ROLE}, so there is nothing to revoke.
    error EvidenceAnchorAgencyNotRegistered(address agency);

    /// @dev {AGENCY_ROLE} comes with a credit code: use {registerAgency}, not `grantRole`.
    error EvidenceAnchorAgencyRequiresRegistration();

    /**
     * @notice Deploys the contract with `initialAdmin` as the only default admin.
     * @param initialDelay Seconds that must pass between starting and accepting a transfer of
     * the default admin role (see {AccessControlDefaultAdminRules}).
     * @param initialAdmin The account that may grant and revoke {WRITER_ROLE}.
     *
     * Requirements:
     *
     * - `initialAdmin` is not the zero address.
     */
    constructor(uint48 initialDelay, address initialAdmin)
        AccessControlDefaultAdminRules(initialDelay, initialAdmin)
    {}

    /**
     * @notice Registers `agency` as the signing address of the agency whose Unified Social
     * Credit Code is `creditCode`, granting it {AGENCY_ROLE}.
     * @param agency The address that recovers from the agency's EIP-712 record signatures.
     * @param creditCode The agency's 18-character Unified Social Credit Code (its check
     * character is verified off chain; the contract checks the length only).
     *
     * Registering an address again replaces its code. One code may be registered to several
     * addresses: that is how an agency rotates its key (register the new address, then
     * revoke the old one); records signed with either key verify while both are registered.
     *
     * Emits an {AgencyRegistered} event, and a `RoleGranted` event unless `agency` already
     * held the role.
     *
     * Requirements:
     *
     * - the caller is the default admin.
     * - `agency` is not the zero address.
     * - `creditCode` is exactly 18 bytes long.
     */
    function registerAgency(address agency, string calldata creditCode)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (agency == address(0)) revert EvidenceAnchorZeroAgency();
        if (bytes(creditCode).length != _CREDIT_CODE_LENGTH) {
            revert EvidenceAnchorInvalidCreditCode(bytes(creditCode).length);
        }
        _getStorage().agencyCodes[agency] = creditCode;
        _grantRole(AGENCY_ROLE, agency);
        emit AgencyRegistered(agency, creditCode);
    }

    /**
     * @notice Revokes the registration of `agency`: takes {AGENCY_ROLE} and forgets its code.
     *
     * Emits `RoleRevoked` and {AgencyRevoked}. The same happens when the admin calls
     * `revokeRole(AGENCY_ROLE, agency)` or the agency calls `renounceRole` for itself.
     *
     * Requirements:
     *
     * - the caller is the default admin.
     * - `agency` is registered.
     */
    function revokeAgency(address agency) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (!hasRole(AGENCY_ROLE, agency)) revert EvidenceAnchorAgencyNotRegistered(agency);
        _revokeRole(AGENCY_ROLE, agency);
    }

    /**
     * @notice The credit code `agency` is registered for; empty if it is not registered
     * (never was, or was revoked). Never reverts.
     * @dev Non-empty exactly when `agency` holds {AGENCY_ROLE}: the role is only granted by
     * {registerAgency}, and every revocation clears the code.
     */
    function agencyCreditCode(address agency) external view returns (string memory) {
        return _getStorage().agencyCodes[agency];
    }

    /**
     * @notice Grants `role` to `account` (see {AccessControlDefaultAdminRules-grantRole}).
     *
     * Requirements:
     *
     * - `role` is not {AGENCY_ROLE}: an agency is registered with its code by
     *   {registerAgency}.
     */
    function grantRole(bytes32 role, address account) public override {
        if (role == AGENCY_ROLE) revert EvidenceAnchorAgencyRequiresRegistration();
        super.grantRole(role, account);
    }

    /**
     * @notice Anchors checkpoint (`size`, `root`) of the caller's log and returns its index.
     * @param size Number of leaves in the tree whose root is `root`.
     * @param root RFC 9162 Merkle Tree Hash of the first `size` leaves of the caller's log.
     * @param consistencyProof RFC 9162 §2.1.4 consistency proof from the caller's last anchored
     * checkpoint to (`size`, `root`); empty for the first checkpoint.
     * @return index Position of the new checkpoint in the caller's log of checkpoints.
     *
     * Emits a {CheckpointAnchored} event.
     *
     * Requirements:
     *
     * - the caller holds {WRITER_ROLE}.
     * - first checkpoint of the caller: `size` >= 1 and `consistencyProof` is empty.
     * - later checkpoints: `size` is strictly greater than the last anchored size, and
     *   `consistencyProof` proves that the last anchored tree is a prefix of this one.
     */
    function anchor(uint64 size, bytes32 root, bytes32[] calldata consistencyProof)
        external
        onlyRole(WRITER_ROLE)
        returns (uint256 index)
    {
        address writer = _msgSender();
        Checkpoint[] storage log = _getStorage().logs[writer];
        index = log.length;
        if (index == 0) {
            if (size == 0) revert EvidenceAnchorEmptyCheckpoint(writer);
            if (consistencyProof.length != 0) {
                revert EvidenceAnchorUnexpectedProof(writer, consistencyProof.length);
            }
        } else {
            Checkpoint storage last = log[index - 1];
            uint64 lastSize = last.size;
            bytes32 lastRoot = last.root;
            if (size <= lastSize) revert EvidenceAnchorSizeNotIncreasing(writer, lastSize, size);
            if (!_verifyConsistency(lastSize, size, lastRoot, root, consistencyProof)) {
                revert EvidenceAnchorInconsistentCheckpoint(writer, lastSize, lastRoot, size, root);
            }
        }
        log.push(
            Checkpoint({
                size: size,
                blockNumber: uint64(block.number),
                timestamp: uint64(block.timestamp),
                root: root
            })
        );
        emit CheckpointAnchored(writer, index, size, root);
    }

    /**
     * @notice The last checkpoint that `writer` anchored.
     *
     * Requirements:
     *
     * - `writer` has anchored at least one checkpoint.
     */
    function latestCheckpoint(address writer) external view returns (Checkpoint memory) {
        Checkpoint[] storage log = _getStorage().logs[writer];
        uint256 count = log.length;
        if (count == 0) revert EvidenceAnchorNoCheckpoint(writer);
        return log[count - 1];
    }

    /**
     * @notice Checkpoint number `index` (counted from 0) of `writer`'s log.
     *
     * Requirements:
     *
     * - `index` is less than {checkpointCount} of `writer`.
     */
    function checkpointAt(address writer, uint256 index) external view returns (Checkpoint memory) {
        Checkpoint[] storage log = _getStorage().logs[writer];
        uint256 count = log.length;
        if (index >= count) revert EvidenceAnchorCheckpointOutOfRange(writer, index, count);
        return log[index];
    }

    /// @notice Number of checkpoints `writer` has anchored. Never reverts.
    function checkpointCount(address writer) external view returns (uint256) {
        return _getStorage().logs[writer].length;
    }

    /**
     * @notice Whether `writer` anchored exactly the checkpoint (`size`, `root`). Never reverts.
     * @dev Sizes in a log strictly increase, so a binary search finds the only candidate.
     */
    function isAnchored(address writer, uint64 size, bytes32 root) external view returns (bool) {
        Checkpoint[] storage log = _getStorage().logs[writer];
        uint256 low = 0;
        uint256 high = log.length;
        while (low < high) {
            uint256 mid = (low + high) >> 1;
            Checkpoint storage candidate = log[mid];
            uint64 candidateSize = candidate.size;
            if (candidateSize == size) return candidate.root == root;
            if (candidateSize < size) low = mid + 1;
            else high = mid;
        }
        return false;
    }

    /**
     * @notice Checks an RFC 9162 §2.1.3 inclusion proof: is `leafHash` leaf number `index` of
     * the tree of `size` leaves whose root is `root`? Returns false, never reverts, on any
     * malformed input (index out of range, proof too short or too long).
     * @param leafHash RFC 9162 leaf hash, `SHA-256(0x00 || leaf)`.
     * @param index Position of the leaf, counted from 0.
     * @param size Number of leaves in the tree.
     * @param proof Inclusion path, from the leaf's sibling upwards.
     * @param root Merkle Tree Hash of the tree.
     * @return True exactly when the proof is valid.
     *
     * Requirements (for a true result):
     *
     * - `index` < `size`, and `proof` is exactly the inclusion path for that position.
     */
    function verifyInclusion(
        bytes32 leafHash,
        uint64 index,
        uint64 size,
        bytes32[] calldata proof,
        bytes32 root
    ) external pure returns (bool) {
        return _asPure(_verifyInclusion)(leafHash, index, size, proof, root);
    }

    /**
     * @notice Checks an RFC 9162 §2.1.4 consistency proof: is the tree of `oldSize` leaves with
     * root `oldRoot` a prefix of the tree of `newSize` leaves with root `newRoot`? Returns false,
     * never reverts, on any malformed input.
     * @param oldSize Leaves in the older tree.
     * @param newSize Leaves in the newer tree.
     * @param oldRoot Merkle Tree Hash of the older tree.
     * @param newRoot Merkle Tree Hash of the newer tree.
     * @param proof Consistency proof as built by RFC 9162 §2.1.4.1.
     * @return True exactly when the proof is valid.
     *
     * Requirements (for a true result):
     *
     * - 0 < `oldSize` <= `newSize`.
     * - if `oldSize` == `newSize`: `proof` is empty and `oldRoot` == `newRoot`.
     * - otherwise `proof` is exactly the consistency proof between the two trees.
     */
    function verifyConsistency(
        uint64 oldSize,
        uint64 newSize,
        bytes32 oldRoot,
        bytes32 newRoot,
        bytes32[] calldata proof
    ) external pure returns (bool) {
        return _asPure(_verifyConsistency)(oldSize, newSize, oldRoot, newRoot, proof);
    }

    // The two verifiers below follow RFC 9162 §2.1.3.2 and §2.1.4.2 step by step; the step
    // numbers are the RFC's. Their loops are assembly because `anchor` runs one for every
    // checkpoint: with `sha256(abi.encodePacked(...))`, which allocates fresh memory for every
    // hash, a proof element costs about 2,300 gas instead of 1,100 (docs/CONTRACT.md). Each
    // interior hash `SHA-256(0x01 || left || right)` is built in the 65 bytes at the free
    // memory pointer, which is not advanced (the bytes are scratch), and hashed by the SHA-256
    // precompile at address 0x02. A failing precompile call can only mean out of gas, so it
    // reverts rather than report an invalid proof.
    //
    // Both loops end after at most 64 iterations whatever the proof length: every iteration
    // shifts `sn`, a uint64 at the start, and an iteration that finds `sn` == 0 fails the proof.

    /// @dev RFC 9162 §2.1.3.2. `view` only because of the precompile call; see {_asPure}.
    function _verifyInclusion(
        bytes32 leafHash,
        uint64 index,
        uint64 size,
        bytes32[] calldata proof,
        bytes32 root
    ) private view returns (bool valid) {
        // Step 1.
        if (index >= size) return false;
        assembly ("memory-safe") {
            let buffer := mload(0x40)
            mstore8(buffer, 0x01)
            // Steps 2 and 3.
            let fn := index
            let sn := sub(size, 1)
            let r := leafHash
            valid := 1
            // Step 4.
            let end := add(proof.offset, shl(5, proof.length))
            for { let offset := proof.offset } lt(offset, end) { offset := add(offset, 0x20) } {
                if iszero(sn) {
                    valid := 0
                    break
                }
                let p := calldataload(offset)
                switch or(and(fn, 1), eq(fn, sn))
                case 0 {
                    mstore(add(buffer, 0x01), r)
                    mstore(add(buffer, 0x21), p)
                    if iszero(staticcall(gas(), 0x02, buffer, 0x41, 0x00, 0x20)) { revert(0, 0) }
                    r := mload(0x00)
                }
                default {
                    mstore(add(buffer, 0x01), p)
                    mstore(add(buffer, 0x21), r)
                    if iszero(staticcall(gas(), 0x02, buffer, 0x41, 0x00, 0x20)) { revert(0, 0) }
                    r := mload(0x00)
                    for {} and(iszero(and(fn, 1)), iszero(iszero(fn))) {} {
                        fn := shr(1, fn)
                        sn := shr(1, sn)
                    }
                }
                fn := shr(1, fn)
                sn := shr(1, sn)
            }
            // Step 5.
            valid := and(valid, and(iszero(sn), eq(r, root)))
        }
    }

    /// @dev RFC 9162 §2.1.4.2, with the equal-size case spelled out (an empty proof between
    /// equal roots is valid) and an empty old tree refused: a log's first checkpoint has at
    /// least one leaf, so "consistent with nothing" is never a claim worth anchoring. `view`
    /// only because of the precompile call; see {_asPure}.
    function _verifyConsistency(
        uint64 oldSize,
        uint64 newSize,
        bytes32 oldRoot,
        bytes32 newRoot,
        bytes32[] calldata proof
    ) private view returns (bool valid) {
        if (oldSize == 0 || oldSize > newSize) return false;
        if (oldSize == newSize) return proof.length == 0 && oldRoot == newRoot;
        // Step 1.
        if (proof.length == 0) return false;
        assembly ("memory-safe") {
            let buffer := mload(0x40)
            mstore8(buffer, 0x01)
            // Steps 3 and 4.
            let fn := sub(oldSize, 1)
            let sn := sub(newSize, 1)
            for {} and(fn, 1) {} {
                fn := shr(1, fn)
                sn := shr(1, sn)
            }
            // Steps 2 and 5: `fn` is 0 here exactly when `oldSize` is a power of two; the old
            // tree is then a complete subtree of the new one, and the path starts with its root.
            let offset := proof.offset
            let end := add(offset, shl(5, proof.length))
            let fr := oldRoot
            if fn {
                fr := calldataload(offset)
                offset := add(offset, 0x20)
            }
            let sr := fr
            valid := 1
            // Step 6.
            for {} lt(offset, end) { offset := add(offset, 0x20) } {
                if iszero(sn) {
                    valid := 0
                    break
                }
                let c := calldataload(offset)
                switch or(and(fn, 1), eq(fn, sn))
                case 0 {
                    mstore(add(buffer, 0x01), sr)
                    mstore(add(buffer, 0x21), c)
                    if iszero(staticcall(gas(), 0x02, buffer, 0x41, 0x00, 0x20)) { revert(0, 0) }
                    sr := mload(0x00)
                }
                default {
                    mstore(add(buffer, 0x01), c)
                    mstore(add(buffer, 0x21), fr)
                    if iszero(staticcall(gas(), 0x02, buffer, 0x41, 0x00, 0x20)) { revert(0, 0) }
                    fr := mload(0x00)
                    mstore(add(buffer, 0x21), sr)
                    if iszero(staticcall(gas(), 0x02, buffer, 0x41, 0x00, 0x20)) { revert(0, 0) }
                    sr := mload(0x00)
                    for {} and(iszero(and(fn, 1)), iszero(iszero(fn))) {} {
                        fn := shr(1, fn)
                        sn := shr(1, sn)
                    }
                }
                fn := shr(1, fn)
                sn := shr(1, sn)
            }
            // Step 7.
            valid := and(valid, and(iszero(sn), and(eq(fr, oldRoot), eq(sr, newRoot))))
        }
    }

    /// @dev Solidity counts every `staticcall` in assembly as reading state, so a function that
    /// calls the SHA-256 precompile must be `view`, although the precompile is a pure function
    /// of its input and the verifiers read no state. These re-type a verifier's internal
    /// function pointer (same code, same calling convention) so the external verifiers can be
    /// `pure`, as their results depend on their arguments alone; forge-std's console library
    /// uses the same cast.
    function _asPure(
        function(bytes32, uint64, uint64, bytes32[] calldata, bytes32) view returns (bool) f
    )
        private
        pure
        returns (
            function(bytes32, uint64, uint64, bytes32[] calldata, bytes32) pure returns (bool) g
        )
    {
        assembly ("memory-safe") {
            g := f
        }
    }

    /// @dev See the other {_asPure}.
    function _asPure(
        function(uint64, uint64, bytes32, bytes32, bytes32[] calldata) view returns (bool) f
    )
        private
        pure
        returns (
            function(uint64, uint64, bytes32, bytes32, bytes32[] calldata) pure returns (bool) g
        )
    {
        assembly ("memory-safe") {
            g := f
        }
    }

    /// @dev Every way {AGENCY_ROLE} is lost (`revokeAgency`, `revokeRole`, `renounceRole`)
    /// forgets the agency's code and emits {AgencyRevoked}, so the code never outlives the role.
    function _revokeRole(bytes32 role, address account) internal override returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        if (revoked && role == AGENCY_ROLE) {
            delete _getStorage().agencyCodes[account];
            emit AgencyRevoked(account);
        }
    }

    function _getStorage() private pure returns (EvidenceAnchorStorage storage $) {
        assembly ("memory-safe") {
            $.slot := _STORAGE_LOCATION
        }
    }
}

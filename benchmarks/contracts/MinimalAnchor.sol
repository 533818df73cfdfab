// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/**
 * @title MinimalAnchor
 * @notice Gas reference for benchmarks/gas_anchor.py, never deployed for real: appends one
 * root to the caller's list and checks nothing (no role, no size, no proof, no event). It is
 * the floor that any anchoring contract pays, against which EvidenceAnchor's checks are
 * measured.
 */
contract MinimalAnchor {
    mapping(address writer => bytes32[]) private _roots;

    /// @notice Appends `root` to the caller's list.
    function anchor(bytes32 root) external {
        _roots[msg.sender].push(root);
    }

    /// @notice Number of roots `writer` has appended.
    function rootCount(address writer) external view returns (uint256) {
        return _roots[writer].length;
    }
}

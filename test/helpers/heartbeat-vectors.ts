/** Test vectors of the heartbeat contract (shared/spec/heartbeat.md §14). */
export const VECTOR_KEY = 'insecure-heartbeat-key';

export const VECTORS = {
  zero: {
    json: '{"testkey": "TEST"}',
    key: 'TEST',
    payload: '78daab562a492d2ec94ead54b252500a710d0e51aa050041b50624',
    hmac: '5806e5c1971e79951818394ea6e71ad989ff950945f9573f4ab6f83e25db8ed7',
  },
  a: {
    json: '{"id": "3f2a9a2e-6f0b-4a4e-9a59-6a3c3b8f6d01", "seq": 7, "listeners": {"b7d0c0a4-1d3c-4b1e-8c51-2e8b1f7f0a11": {"status": "OPEN", "stats": {"tx": 1024, "rx": 512, "conns": 3, "totconns": 5, "ereq": 0}}}, "pools": {"5c8e1b9e-7a3f-4c2d-9e11-0d7b6a4f3c22:b7d0c0a4-1d3c-4b1e-8c51-2e8b1f7f0a11": {"status": "UP", "members": {"9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d": "UP", "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0": "DRAIN"}}}, "ver": 3}',
    key: VECTOR_KEY,
    payload:
      '78da9d50cb6ac33010fc95a07317b47a5ab915da432f6928f40356d20a0289ddda6e2904ff7bd731a1f79e34b3cccecee8aa4e55ed77ca3643890c43683a8323c790c82708648bcd5d0b55a37ad8a9893f451e059d4fd3cc3d8f93f0abcab1eaa2c901565bc06564e88a4730dc656cb16942bc09a799e6af7547bd1e9f0f374b996c26f38f3ca88d93e9b8628f466019fa7e1558c1f330dfa917cae32d8f5e9645d8c7309c37275f3ac69c1822d906ae980a891141d79803b9668b31fb7f647e3fae892f7cc9f7e289309b622b38f67289421693584133ca97daec8aaf7f9bba219bed9a27702974d0c51880bc086d35b2a457f5d3dbe3cb416dadbe795ccb2fbfe9ce7496',
    hmac: '2475a3e3167a87b285857d076e9d0fcae307701394f2a086bb6ce2af047d6d12',
  },
  b: {
    json: '{"id": "3f2a9a2e-6f0b-4a4e-9a59-6a3c3b8f6d01", "seq": 0, "listeners": {}, "pools": {}, "ver": 3}',
    key: VECTOR_KEY,
    payload:
      '78da3d8a410a80201000bf227b4e3035c97eb3e60a8264697491fede9ebacd0c332047d80498a4d1a326e9920ad2a225e971f1d2a1d94d58938b6a864940a78b77c55472bfe9a0d6d9c7cbe1acb5fcf2506334ef07fabe1b0f',
    hmac: '68817482edfd191db9116a8cf0b83b45f6680e1355155865c6cffa5afdb9d551',
  },
  c: {
    json: '{"id": "3f2a9a2e-6f0b-4a4e-9a59-6a3c3b8f6d01", "seq": 42, "listeners": {"d1c2b3a4-0000-4000-8000-000000000001": {"status": "OPEN", "stats": {"tx": 7490, "rx": 6387472, "conns": 0, "totconns": 5, "ereq": 0}}, "d1c2b3a4-0000-4000-8000-000000000002": {"status": "OPEN", "stats": {"tx": 0, "rx": 0, "conns": 0, "totconns": 0, "ereq": 0}}}, "pools": {"e5f6a7b8-0000-4000-8000-000000000010": {"status": "UP", "members": {"f0000000-0000-4000-8000-000000000101": "UP", "f0000000-0000-4000-8000-000000000102": "DOWN", "f0000000-0000-4000-8000-000000000103": "MAINT"}}}, "ver": 3}',
    key: VECTOR_KEY,
    payload:
      '78da8d504d6bc3300cfd2bc5e719e48f38c96e83edd0c3d21e3676b613190a6db226de1894fcf74949bbb141203ac892fca4f7a48b3834e27e234cd4bef41aa58b10a4f51665e9b3523a6f6a138ae81a50e26e23063c13dc6a0a8f8721618bfd40858b6854ad83f1560299b4ec0a76f06b6a020ec9a70fee11bbfd5335cda4ca3c247dd193db12a8da73ec4c91db9cd9eaae6d19c45fa94bb734a314fb49148c23252b74e8753a7e44c0323dfca167fef7ae3bce43308bcee7a15856a2e09f92d73deb38e129dcce1aafd0c5216a3aebb573059a97178fbbb76a25de30fef9615bbd8879c14feca964c66fd7b88bc2',
    hmac: 'ecb5233b2d0ae56525cbb6713425c630a2f25e68af5df8e0931c3484f7c9e91f',
  },
} as const;

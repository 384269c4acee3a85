import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  decodeConsumerGroupDescribeResponse,
  encodeConsumerGroupDescribeRequest,
} from './consumerGroupDescribeApi.js';

const int32 = (n: number): number[] => [
  (n >>> 24) & 0xff,
  (n >>> 16) & 0xff,
  (n >>> 8) & 0xff,
  n & 0xff,
];
/** COMPACT_STRING: unsigned varint length + 1, then UTF-8 (all test strings are short). */
const str = (s: string): number[] => [s.length + 1, ...Buffer.from(s)];

test('ConsumerGroupDescribe v0 request: compact array of group ids, no authorized operations', () => {
  assert.deepEqual(
    [...encodeConsumerGroupDescribeRequest(['g1', 'orders'])],
    [0x03, ...str('g1'), ...str('orders'), 0x00, 0x00],
  );
});

test('ConsumerGroupDescribe v0 response, written byte by byte from the message definition', () => {
  const body = Buffer.from([
    ...int32(0), // ThrottleTimeMs
    0x02, // Groups: 1
    0x00,
    0x00, // ErrorCode
    0x00, // ErrorMessage: null
    ...str('g'),
    ...str('Stable'),
    ...int32(5), // GroupEpoch
    ...int32(5), // AssignmentEpoch
    ...str('uniform'),
    0x02, // Members: 1
    ...str('m1'),
    0x00, // InstanceId: null
    0x00, // RackId: null
    ...int32(5), // MemberEpoch
    ...str('console-consumer'),
    ...str('/127.0.0.1'),
    0x02,
    ...str('t'), // SubscribedTopicNames
    0x00, // SubscribedTopicRegex: null
    0x02, // Assignment.TopicPartitions: 1
    ...Array.from({ length: 16 }, () => 0xab), // TopicId
    ...str('t'),
    0x03,
    ...int32(0),
    ...int32(2), // Partitions [0, 2]
    0x00, // topic-partitions tagged fields
    0x00, // assignment tagged fields
    0x02, // TargetAssignment.TopicPartitions: 1 (not what is owned: ignored)
    ...Array.from({ length: 16 }, () => 0xcd),
    ...str('t'),
    0x02,
    ...int32(1),
    0x00,
    0x00,
    0x00, // member tagged fields
    ...int32(-2147483648), // AuthorizedOperations
    0x00, // group tagged fields
    0x01,
    0x07,
    0x02,
    0xee,
    0xff, // one unknown top-level tagged field (tag 7, 2 bytes): skipped
  ]);
  assert.deepEqual(decodeConsumerGroupDescribeResponse(body), [
    {
      errorCode: 0,
      errorMessage: null,
      groupId: 'g',
      groupState: 'Stable',
      members: [
        {
          memberId: 'm1',
          clientId: 'console-consumer',
          clientHost: '/127.0.0.1',
          assignment: [{ topicName: 't', partitions: [0, 2] }],
        },
      ],
    },
  ]);
  assert.throws(() => decodeConsumerGroupDescribeResponse(body.subarray(0, 40)), RangeError);
});

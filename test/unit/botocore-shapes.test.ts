// The shape checker behind the conformance run's botocore check catches what it is meant to:
// unknown members and elements, wrong scalar types and enums, missing required members.
import { describe, expect, it } from 'vitest';
import { responseProblems } from '../helpers/botocore-shapes.js';

const r = (service: string, operation: string, protocol: string, payload: string, status = 200) => ({
  service,
  operation,
  protocol,
  status,
  headers: {},
  payload,
});

describe('botocore shape checker', () => {
  it('awsQuery XML: a good GetCallerIdentity fits; an unknown element and a bad boolean do not', () => {
    const ok =
      '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:user/x</Arn><UserId>AIDA</UserId><Account>000000000000</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>';
    expect(responseProblems(r('sts', 'GetCallerIdentity', 'query', ok))).toEqual([]);
    expect(responseProblems(r('sts', 'GetCallerIdentity', 'query', ok.replace('<Account>', '<Acount>').replace('</Account>', '</Acount>')))).toEqual([
      'sts GetCallerIdentity 200 (GetCallerIdentityResponse): unknown element <Acount>',
    ]);
    const sim =
      '<SimulatePrincipalPolicyResponse><SimulatePrincipalPolicyResult><EvaluationResults><member><EvalActionName>iam:GetRole</EvalActionName><EvalDecision>maybe</EvalDecision></member></EvaluationResults><IsTruncated>yes</IsTruncated></SimulatePrincipalPolicyResult></SimulatePrincipalPolicyResponse>';
    expect(responseProblems(r('iam', 'SimulatePrincipalPolicy', 'query', sim))).toEqual([
      'iam SimulatePrincipalPolicy 200.EvaluationResults[0].EvalDecision (PolicyEvaluationDecisionType): not one of allowed|explicitDeny|implicitDeny: maybe',
      'iam SimulatePrincipalPolicy 200.IsTruncated (booleanType): not true|false: yes',
    ]);
  });

  it('JSON: unknown members, wrong types and missing required members are reported', () => {
    expect(
      responseProblems(
        r('cognito-idp', 'DescribeUserPoolClient', 'json', JSON.stringify({ UserPoolClient: { ClientId: 'x', Extra: 1, ExplicitAuthFlows: ['NOPE'] } })),
      ),
    ).toEqual([
      'cognito-idp DescribeUserPoolClient 200.UserPoolClient (UserPoolClientType): unknown member Extra: {"ClientId":"x","Extra":1,"ExplicitAuthFlows":["NOPE"]}',
      'cognito-idp DescribeUserPoolClient 200.UserPoolClient.ExplicitAuthFlows[0] (ExplicitAuthFlowsType): not one of ADMIN_NO_SRP_AUTH|CUSTOM_AUTH_FLOW_ONLY|USER_PASSWORD_AUTH|ALLOW_ADMIN_USER_PASSWORD_AUTH|ALLOW_CUSTOM_AUTH|ALLOW_USER_PASSWORD_AUTH|ALLOW_USER_SRP_AUTH|ALLOW_REFRESH_TOKEN_AUTH|ALLOW_USER_AUTH: "NOPE"',
    ]);
    expect(responseProblems(r('dynamodb', 'DescribeTable', 'json', JSON.stringify({ Table: { TableName: 1 } })))[0]).toMatch(
      /TableName \(TableName\): not a string/,
    );
  });

  it('S3 REST-XML: flattened lists and unknown elements', () => {
    const list =
      '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>a</Key><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>';
    expect(responseProblems(r('s3', 'ListObjectsV2', 'rest-xml', list))).toEqual([]);
    expect(responseProblems(r('s3', 'ListObjectsV2', 'rest-xml', list.replace('<Size>1</Size>', '<Bytes>1</Bytes>')))).toEqual([
      's3 ListObjectsV2 200.Contents[] (Object): unknown element <Bytes>',
    ]);
  });
});
